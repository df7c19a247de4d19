import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { formatAxis, hourMinute } from './format';

export interface ChartSeries {
  id: string;
  color: string;
  points: readonly (readonly [number, number])[]; // [epoch ms, value]
}

interface LineChartProps {
  series: readonly ChartSeries[];
  /** the right edge of the time axis (server time) */
  endMs: number;
  spanMs: number;
  height: number;
  testId?: string;
  label: string;
}

const PAD = { top: 12, right: 14, bottom: 26, left: 50 };
/** A hole longer than this in a per-second series is drawn as a gap, not a slope. */
const GAP_MS = 5000;
const Y_DIVISIONS = 4;
/** Half a time label's width: ticks closer than this to the plot's ends are left out. */
const EDGE_PX = 18;

/** The smallest "round" number (1, 2, 2.5, 5 × 10^k) at or above n, so the y axis reads well. */
export function niceCeil(n: number): number {
  if (n <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= n) ?? 10;
  return step * magnitude;
}

/** Minute marks on the time axis, aligned to the clock; none within `marginMs` of the ends, where labels would clip. */
function timeTicks(startMs: number, endMs: number, marginMs: number): number[] {
  const minutes = (endMs - startMs) / 60_000;
  const everyMs = (minutes > 20 ? 5 : minutes > 6 ? 2 : 1) * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((startMs + marginMs) / everyMs) * everyMs; t <= endMs - marginMs; t += everyMs) ticks.push(t);
  return ticks;
}

/** An SVG path through the points, lifting the pen over gaps in the data. */
function linePath(points: ChartSeries['points'], x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let previous: number | undefined;
  for (const [t, v] of points) {
    const move = previous === undefined || t - previous > GAP_MS;
    d += `${move ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    previous = t;
  }
  return d;
}

/** The width of an element, kept current as the layout changes, so the chart draws in real pixels. */
function useWidth<T extends Element>(fallback: number) {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.round(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

/** A small multi-line time chart: one line per series, y from 0 to a round maximum. */
export function LineChart({ series, endMs, spanMs, height, testId, label }: LineChartProps) {
  const [frame, width] = useWidth<HTMLDivElement>(640);
  const W = Math.max(width, 200);
  const H = height;
  const PLOT_W = W - PAD.left - PAD.right;
  const PLOT_H = H - PAD.top - PAD.bottom;
  const startMs = endMs - spanMs;
  const visible = series.map((s) => ({ ...s, points: s.points.filter(([t]) => t >= startMs && t <= endMs) }));
  const highest = Math.max(0, ...visible.flatMap((s) => s.points.map(([, v]) => v)));
  const yMax = niceCeil(highest);
  const x = (t: number) => PAD.left + ((t - startMs) / spanMs) * PLOT_W;
  const y = (v: number) => PAD.top + PLOT_H - (v / yMax) * PLOT_H;
  const yTicks = Array.from({ length: Y_DIVISIONS + 1 }, (_, i) => (yMax * i) / Y_DIVISIONS);

  return (
    <div class="chart-frame" ref={frame}>
      <svg
        class="chart"
        width={W}
        height={H}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={label}
        data-testid={testId}
      >
        <g class="chart-grid">
          {yTicks.map((v) => (
            <g key={v}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} class={v === 0 ? 'axis' : undefined} />
              <text x={PAD.left - 8} y={y(v)} dy="0.32em" text-anchor="end">
                {formatAxis(v, yMax)}
              </text>
            </g>
          ))}
          {timeTicks(startMs, endMs, (EDGE_PX / PLOT_W) * spanMs).map((t) => (
            <g key={t}>
              <line x1={x(t)} x2={x(t)} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H + 4} class="axis" />
              <text x={x(t)} y={H - 6} text-anchor="middle">
                {hourMinute(t)}
              </text>
            </g>
          ))}
        </g>
        {visible.map((s) => {
          const last = s.points[s.points.length - 1];
          return (
            <g key={s.id} class="chart-series" data-series={s.id}>
              <path d={linePath(s.points, x, y)} stroke={s.color} />
              {last && <circle cx={x(last[0])} cy={y(last[1])} r="3.5" fill={s.color} />}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
