/**
 * What every Tally dashboard shares: the provisioned Prometheus data source (a fixed uid, see
 * provisioning/datasources/prometheus.yaml), query and panel helpers, and `$var` template variables whose
 * "All" value is the regex `.*`, so every query can filter with `label=~"$var"`.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugeBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** The uid provisioning/datasources/prometheus.yaml gives the Prometheus data source. */
export const DATASOURCE_UID = 'tally-prometheus';
export const datasource = { type: 'prometheus', uid: DATASOURCE_UID };

/** Every Tally dashboard carries this tag; the dashboards link to each other through it. */
export const TAG = 'tally';

export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return (
    new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags([TAG])
      .editable()
      .time({ from: 'now-1h', to: 'now' })
      .refresh('30s')
      .timezone('browser')
      .tooltip(DashboardCursorSync.Crosshair)
      // what Grafana adds to every dashboard it saves: annotations and alerts on the graphs
      .annotation(
        new AnnotationQueryBuilder()
          .name('Annotations & Alerts')
          .datasource({ type: 'grafana', uid: '-- Grafana --' })
          .type('dashboard')
          .builtIn(1)
          .enable(true)
          .hide(true)
          .iconColor('rgba(0, 211, 255, 1)'),
      )
      .link(
        new DashboardLinkBuilder('Tally')
          .type(DashboardLinkType.Dashboards)
          .tags([TAG])
          .asDropdown(true)
          .includeVars(false)
          .keepTime(true),
      )
  );
}

/** A PromQL query; refIds are given in panel order (A, B, …) by `timeseries` and friends. */
export const query = (expr: string, legend: string) =>
  new DataqueryBuilder().datasource(datasource).expr(expr).legendFormat(legend);

/** A label_values() variable: multi-select with All (= `.*`), refreshed with the time range. */
export function variable(name: string, label: string, metricSelector: string, labelName = name): QueryVariableBuilder {
  const definition = `label_values(${metricSelector}, ${labelName})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(definition)
    .definition(definition)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: DataqueryBuilder[];
  /** Grid width out of 24 (default 12) and height in rows (default 8). */
  width?: number;
  height?: number;
}

const withRefIds = (queries: DataqueryBuilder[]) => queries.map((q, i) => q.refId(String.fromCharCode(65 + i)));

export function timeseries(options: PanelOptions & { stacked?: boolean; thresholds?: number[] }): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .targets(withRefIds(options.queries))
    .unit(options.unit)
    .min(0)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .lineWidth(1)
    .fillOpacity(options.stacked ? 30 : 8)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max'])
        .sortBy('Last *')
        .sortDesc(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  if (options.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (options.thresholds) {
    panel
      .thresholds(steps(options.thresholds))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return panel;
}

/** The last value of each series, big, coloured by `thresholds` (green below the first, then orange, red). */
export function stat(options: PanelOptions & { thresholds: number[] }): StatBuilder {
  return new StatBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .targets(withRefIds(options.queries))
    .unit(options.unit)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .textMode(common.BigValueTextMode.ValueAndName)
    .thresholds(steps(options.thresholds));
}

/** Totals over the dashboard's time range as horizontal bars, one per series (instant queries). */
export function bars(options: PanelOptions): BarGaugeBuilder {
  return new BarGaugeBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .targets(withRefIds(options.queries.map((q) => q.instant())))
    .unit(options.unit)
    .min(0)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

function steps(thresholds: number[]): ThresholdsConfigBuilder {
  const colors = ['green', 'orange', 'red'];
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([
      { value: null, color: colors[0]! },
      ...thresholds.map((value, i) => ({ value, color: colors[Math.min(i + 1, colors.length - 1)]! })),
    ]);
}

/**
 * The finishing touches the builders leave out: a unique id for every panel and row (in layout order, so
 * regenerating keeps them), and links and annotations where Grafana shows them by default (the SDK's default
 * `placement: inControlsMenu` is newer than the Grafana that docker-compose.yml runs).
 */
export function finish(built: Dashboard): Dashboard {
  let id = 1;
  for (const panel of built.panels ?? []) {
    panel.id = id++;
    if ('panels' in panel) for (const inner of panel.panels) inner.id = id++;
  }
  for (const link of built.links ?? []) delete link.placement;
  for (const annotation of built.annotations?.list ?? []) delete annotation.placement;
  return built;
}

/** `histogram_quantile` of a `_seconds` histogram, aggregated `by` the given labels. */
export const quantile = (q: number, histogram: string, selector: string, by: string) =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket{${selector}}[$__rate_interval])))`;

export type { Dashboard };
