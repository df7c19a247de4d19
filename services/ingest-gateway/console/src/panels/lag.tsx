import { Card, Empty } from '../card';
import { formatCount } from '../format';
import type { ConsoleView } from '../view';

type SideRecords = ConsoleView['sideRecords'][number];

interface Row {
  group: string;
  /** null: a group that set records aside but whose lag the console is not asked to read (CONSOLE_LAG_GROUPS). */
  lag: number | null;
  partitions: ConsoleView['lag'][number]['partitions'];
  side: SideRecords | undefined;
}

/** The groups whose lag is read, in that order, then any other group that dead-lettered or set records aside. */
function rows(lag: ConsoleView['lag'], side: ConsoleView['sideRecords']): Row[] {
  const sideOf = new Map(side.map((s) => [s.group, s]));
  return [
    ...lag.map((g) => ({ group: g.group, lag: g.lag, partitions: g.partitions, side: sideOf.get(g.group) })),
    ...side
      .filter((s) => !lag.some((g) => g.group === s.group))
      .map((s) => ({ group: s.group, lag: null, partitions: [], side: s })),
  ];
}

/** "DECODE_FAILED 2, REJECTED 1": what a group's side records were, for the tooltip. */
const reasons = (side: SideRecords | undefined) =>
  side && Object.keys(side.reasons).length > 0
    ? Object.entries(side.reasons)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ')
    : 'none';

/**
 * How far each consumer group is behind the end of its topics, in records, and how many of its records went aside:
 * dead-lettered (could not be decoded or applied) and late (too late for a windowed result), each source record once.
 */
export function LagPanel({
  lag,
  sideRecords,
}: {
  lag: ConsoleView['lag'] | undefined;
  sideRecords: ConsoleView['sideRecords'] | undefined;
}) {
  const groups = rows(lag ?? [], sideRecords ?? []);
  const total = groups.reduce((sum, g) => sum + (g.lag ?? 0), 0);
  const deadLettered = (sideRecords ?? []).reduce((sum, s) => sum + s.deadLettered, 0);
  const late = (sideRecords ?? []).reduce((sum, s) => sum + s.late, 0);
  const aside = `${formatCount(deadLettered)} dead-lettered, ${formatCount(late)} late`;
  return (
    <Card
      area="lag"
      title="Consumer lag"
      hint={
        groups.length > 0
          ? `${formatCount(total)} records behind across ${(lag ?? []).length} groups; ${aside}`
          : 'Records not yet consumed, per group'
      }
    >
      {groups.length === 0 ? (
        <Empty>No consumer group reported yet.</Empty>
      ) : (
        <div class="scroll">
          <table class="table lag-table">
            <thead>
              <tr>
                <th>Group</th>
                <th class="num">Lag</th>
                <th class="num" title="Records the group could not decode or apply, sent to the dead-letter topic">
                  Dead-lettered
                </th>
                <th class="num" title="Records too late for a windowed result, set aside to the late topic">
                  Late
                </th>
                <th>Partitions</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.group} data-testid="lag-row" data-group={g.group}>
                  <td class="ident">
                    <span class={`dot ${g.lag === null ? 'unknown' : g.lag === 0 ? 'ok' : 'behind'}`} />
                    {g.group}
                  </td>
                  <td
                    class="num strong"
                    data-testid="lag-value"
                    title={
                      g.lag === null
                        ? 'not among the groups whose lag the console reads (CONSOLE_LAG_GROUPS)'
                        : undefined
                    }
                  >
                    {g.lag ?? '–'}
                  </td>
                  <td
                    class={`num aside${g.side?.deadLettered ? ' bad' : ''}`}
                    data-testid="lag-dead-lettered"
                    title={`reasons: ${reasons(g.side)}`}
                  >
                    {g.side?.deadLettered ?? 0}
                  </td>
                  <td
                    class={`num aside${g.side?.late ? ' warn' : ''}`}
                    data-testid="lag-late"
                    title={`reasons: ${reasons(g.side)}`}
                  >
                    {g.side?.late ?? 0}
                  </td>
                  <td>
                    <Partitions partitions={g.partitions} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function Partitions({ partitions }: { partitions: ConsoleView['lag'][number]['partitions'] }) {
  return (
    <ul class="chips">
      {partitions.map((p) => (
        <li
          key={`${p.topic}:${p.partition}`}
          class={`chip${p.lag > 0 ? ' behind' : ''}`}
          title={`${p.topic} partition ${p.partition}: ${p.lag} behind`}
        >
          <span class="muted">
            {p.topic}·{p.partition}
          </span>{' '}
          {formatCount(p.lag)}
        </li>
      ))}
    </ul>
  );
}
