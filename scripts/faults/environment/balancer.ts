/**
 * A TCP round-robin balancer in front of a service's instances, as a Kubernetes Service is in front of its
 * ready pods: each new connection goes to the next instance that accepts it; an instance that refuses (stopped,
 * crashed, not started yet) is skipped. The fault run's gateway reads through one per service, and the
 * workload writes through one in front of the gateways, so instances can come and go under load.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Balancer {
  url: string;
  stop(): Promise<void>;
}

export async function startBalancer(port: number, backends: () => number[]): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const ports = backends();
    const tryFrom = (attempt: number) => {
      if (attempt >= ports.length) return void client.destroy();
      const backendPort = ports[(next + attempt) % ports.length]!;
      const upstream = createConnection({ host: '127.0.0.1', port: backendPort });
      upstream.once('error', () => {
        upstream.destroy();
        tryFrom(attempt + 1);
      });
      upstream.once('connect', () => {
        next = (next + attempt + 1) % Math.max(ports.length, 1);
        upstream.removeAllListeners('error');
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryFrom(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
