import { Card, Empty, ErrorNote } from '../card';
import { CommitInput } from '../inputs';
import { rankingWindows, type RankingWindow } from '../selection';
import type { ConsoleView } from '../view';

interface RankingProps {
  ranking: ConsoleView['ranking'] | undefined;
  metric: string;
  window: RankingWindow;
  onMetric: (metric: string) => void;
  onWindow: (window: RankingWindow) => void;
}

const windowLabel: Record<RankingWindow, string> = { '1h': 'last hour', '24h': 'last 24 h', all: 'all time' };

/** The most popular items for one metric and window, with bars relative to the leader. */
export function RankingPanel({ ranking, metric, window, onMetric, onWindow }: RankingProps) {
  return (
    <Card
      area="ranking"
      title="Top items"
      hint={`By ${metric}, ${windowLabel[window]}`}
      tools={
        <>
          <CommitInput
            label="Metric"
            testId="ranking-metric"
            value={metric}
            placeholder="likes"
            width="7rem"
            onCommit={(m) => onMetric(m || 'likes')}
          />
          <label class="field">
            <span class="field-label">Window</span>
            <select
              data-testid="ranking-window"
              value={window}
              onChange={(e) => onWindow(e.currentTarget.value as RankingWindow)}
            >
              {rankingWindows.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          </label>
        </>
      }
    >
      {ranking?.error && <ErrorNote message={ranking.error} />}
      {!(ranking?.error && ranking.items.length === 0) && <RankingList items={ranking?.items ?? []} />}
    </Card>
  );
}

function RankingList({ items }: { items: ConsoleView['ranking']['items'] }) {
  if (items.length === 0) return <Empty>Nothing counted in this window yet.</Empty>;
  const top = Math.max(1, ...items.map((i) => i.score));
  return (
    <ol class="bars">
      {items.map((item) => (
        <li
          key={item.itemId}
          class="bar-row"
          data-testid="ranking-row"
          data-item-id={item.itemId}
          data-rank={item.rank}
        >
          <span class="rank">{item.rank}</span>
          <div class="bar-main">
            <div class="bar-label">
              <span class="ident">{item.itemId}</span>
              <span class="num strong" data-testid="ranking-score">
                {item.score}
              </span>
            </div>
            <div class="bar-track">
              <div class="bar-fill" style={{ width: `${(item.score / top) * 100}%` }} />
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}
