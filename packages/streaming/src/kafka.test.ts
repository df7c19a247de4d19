import { describe, expect, it } from 'vitest';
import { createLogger } from '@tally/observability';
import { readCaFile } from '@tally/config';
import { createKafka, kafkaSecurity } from './kafka.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/tls/kafka-ca.pem': PEM, '/tls/not-a-cert.txt': 'hello' };
const read = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};

describe('kafkaSecurity: KAFKA_SECURITY_PROTOCOL and friends → kafkajs ssl and sasl', () => {
  it('PLAINTEXT (and unset, and empty) is neither TLS nor SASL', () => {
    expect(kafkaSecurity({}, read)).toEqual({});
    expect(kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' }, read)).toEqual({});
    expect(
      kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: '', KAFKA_SASL_MECHANISM: '', KAFKA_SSL_CA_FILE: '' }, read),
    ).toEqual({});
  });

  it('SSL verifies the brokers against the system CAs, or against the CA file when one is given', () => {
    expect(kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL' }, read)).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/tls/kafka-ca.pem' }, read)).toEqual({
      ssl: { rejectUnauthorized: true, ca: [PEM] },
    });
  });

  it('SASL_SSL is TLS plus SCRAM or PLAIN credentials; SASL_PLAINTEXT the credentials alone', () => {
    const credentials = { KAFKA_SASL_USERNAME: 'tally', KAFKA_SASL_PASSWORD: 'secret-password' };
    expect(
      kafkaSecurity(
        { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'scram-sha-512', ...credentials },
        read,
      ),
    ).toEqual({
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'tally', password: 'secret-password' },
    });
    expect(
      kafkaSecurity(
        {
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'scram-sha-256',
          KAFKA_SSL_CA_FILE: '/tls/kafka-ca.pem',
          ...credentials,
        },
        read,
      ),
    ).toEqual({
      ssl: { rejectUnauthorized: true, ca: [PEM] },
      sasl: { mechanism: 'scram-sha-256', username: 'tally', password: 'secret-password' },
    });
    expect(
      kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'plain', ...credentials }, read),
    ).toEqual({
      sasl: { mechanism: 'plain', username: 'tally', password: 'secret-password' },
    });
  });

  it('refuses what it cannot apply, naming the variable and never the password', () => {
    expect(() => kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'TLS' }, read)).toThrow(
      'KAFKA_SECURITY_PROTOCOL: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (got "TLS")',
    );
    expect(() =>
      kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'secret-password' }, read),
    ).toThrow('KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME: required when KAFKA_SECURITY_PROTOCOL is SASL_SSL');
    let message = '';
    try {
      kafkaSecurity(
        {
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'GSSAPI',
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD: 'secret-password',
        },
        read,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512 (got "GSSAPI")');
    expect(() =>
      kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_SSL_CA_FILE: '/tls/kafka-ca.pem' }, read),
    ).toThrow(/KAFKA_SSL_CA_FILE: is set, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT/);
  });

  it('reads the CA file at once, and refuses one it cannot read or that holds no certificate', () => {
    expect(() =>
      kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/tls/missing.pem' }, read),
    ).toThrow(
      "KAFKA_SSL_CA_FILE: cannot read /tls/missing.pem (ENOENT: no such file or directory, open '/tls/missing.pem')",
    );
    expect(() => readCaFile('KAFKA_SSL_CA_FILE', '/tls/not-a-cert.txt', read)).toThrow(
      'KAFKA_SSL_CA_FILE: /tls/not-a-cert.txt holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    );
  });
});

describe('createKafka', () => {
  it('builds a client from brokers alone (no connection until used), with the transport given', () => {
    const logger = createLogger('kafka-test', 'silent');
    expect(createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'test', logger, transport: {} })).toBeDefined();
    expect(() =>
      createKafka({
        brokers: ['127.0.0.1:9092'],
        clientId: 'test',
        logger,
        transport: { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' },
      }),
    ).toThrow(/required when KAFKA_SECURITY_PROTOCOL is SASL_SSL/);
  });
});
