import type { WalletOutcome } from '@tally/schemas';
import { formatMinor, type AssetCatalogue } from '@tally/money';
import { apiError, type ApiError } from './api-error.js';

/** What `?wait=true` answers (200) once the ledger has decided. */
export interface WalletDecision {
  id: string;
  status: 'applied' | 'rejected';
  /** The key user's balance of the asset after this write, as a decimal string at the asset's scale. */
  balance: string;
  /** What of the balance no hold keeps: balance - held. */
  available: string;
  /** What the user's pending holds keep of the asset. */
  held: string;
  /** Why it was rejected (insufficient_funds, hold_expired, ...). */
  reason?: string;
  /** A rejected group: the index of the member that failed (the others were not applied either). */
  member?: number;
}

/** The ledger always names the asset of an outcome; an asset it no longer counts is written at the usual 2 places. */
const FALLBACK_SCALE = 2;

export function toWalletDecision(outcome: WalletOutcome, assets: AssetCatalogue): WalletDecision {
  const scale = assets.rule(outcome.asset)?.scale ?? FALLBACK_SCALE;
  const held = outcome.heldMinor;
  return {
    id: outcome.id,
    status: outcome.status === 'APPLIED' ? 'applied' : 'rejected',
    balance: formatMinor(outcome.balanceMinor, scale),
    available: formatMinor(outcome.balanceMinor - held, scale),
    held: formatMinor(held, scale),
    ...(outcome.reason === null ? {} : { reason: outcome.reason }),
    ...(outcome.member === null ? {} : { member: outcome.member }),
  };
}

/** The 409 answer to a reused (source, seq): the API's error shape, plus the write it names and why. */
export interface IdReusedAnswer extends ApiError {
  id: string;
  status: 'rejected';
  reason: string;
}

/**
 * Where each field the ledger may name (the suffix of its reason, id_reused_with_different_<field>) is in a
 * route's request: e.g. `{amount: 'body.amount', user: 'params.userId'}`. A field the route has no place for is
 * named `body`: the request as a whole differs.
 */
export type ConflictFields = Readonly<Record<string, string>>;

const REUSED_PREFIX = 'id_reused_with_different_';

/**
 * The ledger kept the first write under this (source, seq) and refused this one: answered 409 id_reused,
 * naming the field that differs, so a client sees it reused an id rather than that its write was applied.
 */
export function idReusedAnswer(outcome: WalletOutcome, fields: ConflictFields): IdReusedAnswer {
  const reason = outcome.reason ?? 'id_reused';
  const differing = reason.startsWith(REUSED_PREFIX) ? reason.slice(REUSED_PREFIX.length) : undefined;
  const what =
    differing === undefined ? 'a different write' : `a write with a different ${differing.replace(/_/g, ' ')}`;
  const field = (differing !== undefined && Object.hasOwn(fields, differing) ? fields[differing] : undefined) ?? 'body';
  return {
    ...apiError('id_reused', `${outcome.id} was already used for ${what}; the first write stands`, [
      { field, message: `differs from the first write named ${outcome.id}, which stands` },
    ]),
    id: outcome.id,
    status: 'rejected',
    reason,
  };
}
