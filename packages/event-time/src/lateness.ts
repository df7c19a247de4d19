/**
 * Allowed lateness, measured by the gateway's clock: a record is late for a window when the gateway received it
 * more than the window's grace after the window ended (in event time). The judgement depends on the record
 * alone — its event time and its receipt time — never on when it is processed or what came before it, so a
 * replay, a rebuild or any delivery order sets aside exactly the same records (the gateway's clock is the
 * watermark, stamped once into every record).
 */
export interface Lateness {
  late: boolean;
  /** How long after the window's end (plus grace) the record was received; ≤ 0 when on time. */
  overByMs: number;
}

export function lateness(windowEndMs: number, receivedAtMs: number, graceMs: number): Lateness {
  const overByMs = receivedAtMs - (windowEndMs + graceMs);
  return { late: overByMs > 0, overByMs };
}

/** "received 2 h 5 min after its 1h window ended; it allows 5 min" — for the late record's reason. */
export function describeLateness(
  window: string,
  eventTimeMs: number,
  windowEndMs: number,
  receivedAtMs: number,
  graceMs: number,
): string {
  return `event at ${new Date(eventTimeMs).toISOString()} received ${duration(receivedAtMs - windowEndMs)} after its ${window} window ended; the window allows ${duration(graceMs)}`;
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
