import { Card, Empty } from '../card';
import { formatCount } from '../format';
import type { ConsoleView } from '../view';

/** How far each consumer group is behind the end of its topics, in records. */
export function LagPanel({ lag }: { lag: ConsoleView['lag'] | undefined }) {
  const groups = lag ?? [];
  const total = groups.reduce((sum, g) => sum + g.lag, 0);
  return (
    <Card area="lag" title="Consumer lag" hint={groups.length > 0 ? `${formatCount(total)} records behind across ${groups.length} groups` : 'Records not yet consumed, per group'}>
      {groups.length === 0 ? (
        <Empty>No consumer group reported yet.</Empty>
      ) : (
        <div class="scroll">
          <table class="table lag-table">
            <thead>
              <tr>
                <th>Group</th>
                <th class="num">Lag</th>
                <th>Partitions</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.group} data-testid="lag-row" data-group={g.group}>
                  <td class="ident">
                    <span class={`dot ${g.lag === 0 ? 'ok' : 'behind'}`} />
                    {g.group}
                  </td>
                  <td class="num strong" data-testid="lag-value">
                    {g.lag}
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
        <li key={`${p.topic}:${p.partition}`} class={`chip${p.lag > 0 ? ' behind' : ''}`} title={`${p.topic} partition ${p.partition}: ${p.lag} behind`}>
          <span class="muted">
            {p.topic}·{p.partition}
          </span>{' '}
          {formatCount(p.lag)}
        </li>
      ))}
    </ul>
  );
}
