import { amountProblem, type AssetCatalogue } from '@tally/money';
import type { ErrorDetail } from './api-error.js';
import type {
  Amounted,
  CaptureRequest,
  GroupMemberRequest,
  GroupRequest,
  HoldRequest,
  TransferRequest,
} from './wallet.js';

/**
 * The rules of a wallet write that depend on the deployment (which assets the ledger counts, at what scale, up
 * to what amount) or on two fields together (a transfer to oneself), checked once the schema has passed. Each
 * problem names its field as a schema violation would (`body.amount`, `body.members.3.asset`), so the route
 * answers them in the same 400; nothing they refuse ever reaches Kafka.
 */

/** The asset is one the catalogue counts, and the amount is read at its scale, up to its maxAmount. */
export function amountProblems(assets: AssetCatalogue, { asset, amount }: Amounted, where: string): ErrorDetail[] {
  const rule = assets.rule(asset);
  if (!rule) return [unknownAsset(assets, asset, `${where}.asset`)];
  const problem = amountProblem(amount, rule.scale, rule.maxAmountMinor);
  return problem === undefined ? [] : [{ field: `${where}.amount`, message: problem }];
}

function unknownAsset(assets: AssetCatalogue, asset: string, field: string): ErrorDetail {
  return { field, message: `unknown asset ${asset}; this ledger counts: ${assets.names.join(', ')}` };
}

/** A transfer (or a transfer member of a group) to its own sender would move nothing: refused rather than recorded. */
function selfTransfer(from: string, to: string, where: string): ErrorDetail[] {
  return from === to
    ? [{ field: `${where}.to`, message: 'must differ from from: a transfer to oneself moves nothing' }]
    : [];
}

/** A transfer's problems, its fields named under `where` (`body`, or `items.3` in a batch). */
export function transferProblems(assets: AssetCatalogue, request: TransferRequest, where = 'body'): ErrorDetail[] {
  return [...selfTransfer(request.from, request.to, where), ...amountProblems(assets, request, where)];
}

function memberProblems(assets: AssetCatalogue, member: GroupMemberRequest, where: string): ErrorDetail[] {
  const self = member.type === 'transfer' ? selfTransfer(member.from, member.to, where) : [];
  return [...self, ...amountProblems(assets, member, where)];
}

/** Every member's problems, each named by its index: one bad member refuses the whole group. */
export function groupProblems(assets: AssetCatalogue, request: GroupRequest): ErrorDetail[] {
  return request.members.flatMap((member, i) => memberProblems(assets, member, `body.members.${i}`));
}

export function holdProblems(assets: AssetCatalogue, userId: string, request: HoldRequest): ErrorDetail[] {
  const self =
    request.to === userId
      ? [
          {
            field: 'body.to',
            message: 'must differ from the user whose funds are held: a capture to oneself moves nothing',
          },
        ]
      : [];
  return [...self, ...amountProblems(assets, request, 'body')];
}

/**
 * A capture may name no amount (all of the hold); an amount is read at its asset's scale, so it comes with the
 * asset, which must be the hold's. An asset alone is checked against the catalogue.
 */
export function captureProblems(assets: AssetCatalogue, request: CaptureRequest): ErrorDetail[] {
  const { asset, amount } = request;
  if (amount !== undefined && asset === undefined)
    return [
      {
        field: 'body.asset',
        message: "is required with amount: the amount is read at the asset's scale; it must be the hold's asset",
      },
    ];
  if (asset === undefined) return [];
  if (amount === undefined) return assets.rule(asset) ? [] : [unknownAsset(assets, asset, 'body.asset')];
  return amountProblems(assets, { asset, amount }, 'body');
}
