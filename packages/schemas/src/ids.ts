/**
 * A queue ticket's id as the gateway names it and the queue-admitter stores it: `t_` and 32 hex digits (128
 * bits, keyed by the gateway's TICKET_KEY so no one else can compute one). 24 hex digits: a ticket from before
 * ids were keyed.
 */
export const TICKET_ID_PATTERN = /^t_([0-9a-f]{24}|[0-9a-f]{32})$/;
