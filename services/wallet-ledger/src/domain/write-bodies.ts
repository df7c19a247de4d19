/**
 * A write's body as the ledger compares it when its id comes again: each field that names what the write does,
 * as text (null: the write has none). Not the time it was received: a retry is received later, and is the same.
 * The order of the fields is the order they are compared in, so a reuse names the first that differs.
 */
export interface WriteBody {
  type: string;
  /** null for a grant: it names many users, by its digest (grant_users). */
  user: string | null;
  asset: string;
  amount: string;
  to: string | null;
  hold: string | null;
  timeout: string | null;
  members: string | null;
  reason: string | null;
  grant_users: string | null;
}

export type WriteField = keyof WriteBody;

const FIELDS: WriteField[] = [
  'type',
  'user',
  'asset',
  'amount',
  'to',
  'hold',
  'timeout',
  'members',
  'reason',
  'grant_users',
];

/**
 * The first field in which `again` differs from the recorded body, or undefined when it is the same write. A
 * recorded body may lack what writes recorded before bodies existed could not know (a legacy grant's users, the
 * user of an entry recorded before ids were global): `undefined` there means unknown, and matches anything.
 */
export function conflictingField(recorded: Partial<WriteBody>, again: WriteBody): WriteField | undefined {
  return FIELDS.find((field) => recorded[field] !== undefined && recorded[field] !== again[field]);
}
