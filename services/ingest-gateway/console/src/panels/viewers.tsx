import { Card, Empty } from '../card';
import { LineChart, type ChartSeries } from '../chart';
import { CommitInput } from '../inputs';
import { ago, colorAt, formatCount } from '../format';
import { parseList } from '../selection';
import type { ConsoleView } from '../view';

const SPAN_MS = 10 * 60_000;
const CHART_HEIGHT = 330;

interface ViewersProps {
  viewers: ConsoleView['viewers'] | undefined;
  at: number;
  charted: string[];
  onChart: (streams: string[]) => void;
}

/** Concurrent viewers per stream: the chart of the last minutes and the table of every known stream. */
export function ViewersPanel({ viewers, at, charted, onChart }: ViewersProps) {
  const series: ChartSeries[] = (viewers?.series ?? []).map((s, i) => ({
    id: s.streamId,
    color: colorAt(i),
    points: s.points,
  }));
  const colorOf = new Map(series.map((s) => [s.id, s.color]));
  return (
    <Card
      area="viewers"
      title="Live viewers"
      hint="Sessions with a heartbeat in the last 30 s, per stream"
      tools={
        <CommitInput
          label="Chart"
          testId="viewers-streams"
          value={charted.join(', ')}
          placeholder="top 5 streams"
          width="15rem"
          onCommit={(text) => onChart(parseList(text))}
        />
      }
    >
      <div class="viewers-body">
        <div class="viewers-chart">
          <LineChart
            series={series}
            endMs={at}
            spanMs={SPAN_MS}
            height={CHART_HEIGHT}
            testId="viewers-chart"
            label="Concurrent viewers over the last 10 minutes"
          />
          <Legend series={series} />
        </div>
        <StreamTable streams={viewers?.streams ?? []} at={at} colorOf={colorOf} />
      </div>
    </Card>
  );
}

function Legend({ series }: { series: ChartSeries[] }) {
  if (series.length === 0) return <Empty>No stream to chart yet.</Empty>;
  return (
    <ul class="legend">
      {series.map((s) => (
        <li key={s.id}>
          <span class="swatch" style={{ background: s.color }} />
          {s.id}
          <span class="legend-value">{formatCount(s.points[s.points.length - 1]?.[1] ?? 0)}</span>
        </li>
      ))}
    </ul>
  );
}

interface StreamTableProps {
  streams: ConsoleView['viewers']['streams'];
  at: number;
  colorOf: Map<string, string>;
}

function StreamTable({ streams, at, colorOf }: StreamTableProps) {
  if (streams.length === 0) return <Empty>No stream has viewers yet.</Empty>;
  return (
    <div class="scroll viewers-table">
      <table class="table">
        <thead>
          <tr>
            <th>Stream</th>
            <th class="num">Viewers</th>
          </tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr
              key={s.streamId}
              data-testid="viewers-row"
              data-stream-id={s.streamId}
              title={`as of ${ago(s.asOf, at)}`}
            >
              <td class="ident">
                <span class="swatch" style={{ background: colorOf.get(s.streamId) ?? 'transparent' }} />
                {s.streamId}
              </td>
              <td class="num strong" data-testid="viewers-count">
                {s.concurrent}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
