import { SecretConfigError } from '@tally/config';
import { DEVELOPMENT_TICKET_KEY } from '@tally/contracts';

/**
 * TICKET_KEY: the server secret queue ticket ids and ticket secrets are derived from (see ticketFor). Every
 * gateway replica needs the same one, so a retried join names the same ticket whichever replica answers.
 * Changing it changes the ticket a join retried across the change names: rotate it between sales, not during one.
 */

// outside production only, and public (the contract's, so local tools derive the same tickets)
export { DEVELOPMENT_TICKET_KEY };
const MIN_LENGTH = 32;

export class TicketKeyError extends SecretConfigError {
  constructor(message: string) {
    super([message]);
    this.name = 'TicketKeyError';
  }
}

export interface ChosenTicketKey {
  key: string;
  /** True when TICKET_KEY was unset outside production: the caller warns. */
  usingDevelopmentKey: boolean;
}

/** The configured key (at least 32 characters); else, outside production only, the development key. */
export function chooseTicketKey(configured: string | undefined, environment: string): ChosenTicketKey {
  if (configured === undefined || configured === '') {
    if (environment === 'production')
      throw new TicketKeyError('is required when TALLY_ENV is production (e.g. `openssl rand -base64 48`)');
    return { key: DEVELOPMENT_TICKET_KEY, usingDevelopmentKey: true };
  }
  if (configured === DEVELOPMENT_TICKET_KEY)
    throw new TicketKeyError('is the public development key; leave it unset to use it locally, or set a secret');
  if (configured.length < MIN_LENGTH)
    throw new TicketKeyError(`must be at least ${MIN_LENGTH} characters (e.g. \`openssl rand -base64 48\`)`);
  return { key: configured, usingDevelopmentKey: false };
}
