import type { Hold } from './holds.js';
import type { Command } from './ledger.js';

/**
 * Every account (user, asset) a batch of commands may change, so the use case can lock them all before it reads
 * anything: a posting's users, a transfer's both sides, a group's members, a hold's owner, and a capture's or
 * release's hold's owner and payee (from the holds already recorded, or placed earlier in the same batch). A
 * conflicting reuse changes nothing, but is harmless to lock.
 */
export function accountsTouched(
  commands: Command[],
  holds: ReadonlyMap<string, Hold>,
): { userId: string; asset: string }[] {
  const placed = new Map(commands.filter((c) => c.type === 'HOLD').map((c) => [c.id, c]));
  const accounts: { userId: string; asset: string }[] = [];
  const add = (userId: string | null, asset: string) => {
    if (userId && asset) accounts.push({ userId, asset });
  };
  for (const command of commands) {
    if (command.type === 'GROUP')
      for (const member of command.members) {
        add(member.userId, member.asset);
        add(member.to, member.asset);
      }
    else if (command.type === 'CAPTURE' || command.type === 'RELEASE' || command.type === 'EXPIRY') {
      const hold = holds.get(command.holdId!) ?? placed.get(command.holdId!);
      if (hold) {
        add(hold.userId, hold.asset);
        add(hold.to, hold.asset);
        // a rejection (another user's hold, a placement rejected) shows the commanding user's account as it is
        add(command.userId, hold.asset);
      }
      add(command.userId, command.asset);
    } else {
      add(command.userId, command.asset);
      if (command.type === 'TRANSFER') add(command.to, command.asset);
    }
  }
  return accounts;
}
