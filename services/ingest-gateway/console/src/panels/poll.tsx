import { Card, Empty } from '../card';
import { Choices, CommitInput } from '../inputs';
import { ago, colorAt, formatCount, percent } from '../format';
import type { ConsoleView } from '../view';

type PollView = NonNullable<ConsoleView['poll']>;
type Region = PollView['regions'][number];

interface PollProps {
  poll: ConsoleView['poll'] | undefined;
  pollId: string;
  known: string[];
  at: number;
  onPoll: (pollId: string) => void;
}

/** A global vote: the merged worldwide ranking and each region's own tally behind it. */
export function PollPanel({ poll, pollId, known, at, onPoll }: PollProps) {
  const current = poll && poll.pollId === pollId ? poll : undefined;
  return (
    <Card
      area="poll"
      title="Global vote"
      hint={
        current ? `Weighted mean of regional shares · version ${current.version}` : 'Weighted mean of regional shares'
      }
      tools={
        <>
          <CommitInput
            label="Poll"
            testId="poll-id"
            value={pollId}
            list="known-polls"
            placeholder="poll id"
            width="9rem"
            onCommit={onPoll}
          />
          <Choices id="known-polls" values={known} />
        </>
      }
    >
      {!pollId ? (
        <Empty>Choose a poll to follow.</Empty>
      ) : current ? (
        <PollResult poll={current} at={at} />
      ) : (
        <Empty>Waiting for poll {pollId}…</Empty>
      )}
    </Card>
  );
}

/** Options in global order, then any only a region has seen: that order fixes each option's colour. */
function optionOrder(poll: PollView): string[] {
  const ids = poll.global.map((o) => o.optionId);
  for (const r of poll.regions) for (const id of Object.keys(r.counts)) if (!ids.includes(id)) ids.push(id);
  return ids;
}

function PollResult({ poll, at }: { poll: PollView; at: number }) {
  const options = optionOrder(poll);
  const colorOf = (id: string) => colorAt(options.indexOf(id));
  return (
    <>
      <GlobalRanking global={poll.global} colorOf={colorOf} />
      <h3 class="subhead">By region</h3>
      {poll.regions.length === 0 ? (
        <Empty>No region has reported yet.</Empty>
      ) : (
        <div class="regions">
          {poll.regions.map((r) => (
            <RegionBar key={r.region} region={r} options={options} colorOf={colorOf} at={at} />
          ))}
        </div>
      )}
    </>
  );
}

function GlobalRanking({ global, colorOf }: { global: PollView['global']; colorOf: (id: string) => string }) {
  if (global.length === 0) return <Empty>No votes merged yet.</Empty>;
  const top = Math.max(...global.map((o) => o.score), 0.0001);
  return (
    <ol class="bars compact">
      {global.map((o) => (
        <li key={o.optionId} class="bar-row" data-testid="poll-option" data-option-id={o.optionId} data-rank={o.rank}>
          <span class="rank">{o.rank}</span>
          <div class="bar-main">
            <div class="bar-label">
              <span class="ident">{o.optionId}</span>
              <span class="num strong" data-testid="poll-score">
                {percent(o.score)}
              </span>
            </div>
            <div class="bar-track">
              <div class="bar-fill" style={{ width: `${(o.score / top) * 100}%`, background: colorOf(o.optionId) }} />
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

interface RegionBarProps {
  region: Region;
  options: string[];
  colorOf: (id: string) => string;
  at: number;
}

/** One region's votes as a bar stacked by option (shares of that region's votes). */
function RegionBar({ region, options, colorOf, at }: RegionBarProps) {
  const total = Object.values(region.counts).reduce((a, b) => a + b, 0);
  return (
    <div class="region" data-testid="poll-region" data-region={region.region}>
      <div class="region-head">
        <span class="region-name">{region.region}</span>
        <span class="muted">
          <span class="num" data-testid="poll-region-votes">
            {region.votes}
          </span>{' '}
          votes · weight {region.weight}
          {region.snapshotAtMs !== null && ` · ${ago(region.snapshotAtMs, at)}`}
        </span>
      </div>
      <div class="stack" role="img" aria-label={`${region.region}: ${formatCount(region.votes)} votes`}>
        {options
          .filter((id) => (region.counts[id] ?? 0) > 0)
          .map((id) => {
            const count = region.counts[id] ?? 0;
            return (
              <span
                key={id}
                class="stack-part"
                title={`${id}: ${formatCount(count)}`}
                style={{ width: `${(count / total) * 100}%`, background: colorOf(id) }}
              />
            );
          })}
      </div>
    </div>
  );
}
