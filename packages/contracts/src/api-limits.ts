/**
 * The public API's size limits, which the gateway enforces and a client must respect: written once here, so the
 * gateway's route options and schemas and the client SDK (its generated contract, `pnpm gen:client`) never
 * disagree.
 */

/** The most items one batch write carries (1 to this many; more is 400). */
export const MAX_BATCH_ITEMS = 1000;
/**
 * The largest body of a single write or check, in bytes (413 beyond): a write is a few hundred bytes, so 64 KiB
 * leaves room for any legal one and refuses junk early.
 */
export const WRITE_BODY_LIMIT = 64 * 1024;
/** The largest body of a batch write, in bytes (413 beyond). */
export const BATCH_BODY_LIMIT = 1024 * 1024;
