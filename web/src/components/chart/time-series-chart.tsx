import { useId, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { formatDateTime } from '../../lib/time';
import { formatNumber as formatAny, useUplot, zonedDate } from './use-uplot';

/** Columnar, downsampled series as the series endpoint answers them (t in epoch seconds). */
export interface SeriesColumns {
  t: number[];
  min: (number | null)[];
  max: (number | null)[];
  avg: (number | null)[];
}

export interface TimeSeriesChartProps {
  /** The channel's name, used in the accessible name. */
  title: string;
  unit: string | null;
  timeZone: string;
  /** The x range drawn, epoch seconds (the range asked for, even where there is no data). */
  from: number;
  to: number;
  data: SeriesColumns;
  /** Words for the range in the accessible name, e.g. "past 24 hours". */
  rangeLabel: string;
  /** Called with the dragged-over range (epoch seconds) when the user drags across the plot. */
  onZoom?: (from: number, to: number) => void;
  /**
   * Text of the channel's live value, e.g. "1,234 µS/cm", said as "latest …" in the accessible
   * name; only for a range that ends now. Otherwise the name says the last bucket with a
   * reading in the range ("last in range …").
   */
  latest?: string;
  /** Decimals of every figure of the channel (legend, name, summary); at most 2 when not given. */
  decimals?: number;
  height?: number;
}

const AVG = '#0b5cad';
const BAND = 'rgba(11, 92, 173, 0.16)';
const EDGE = 'rgba(11, 92, 173, 0.45)';

let drawnMarked = false;

/** Average, minimum and maximum over the drawn buckets (null when there is no reading). */
function summarize(data: SeriesColumns) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < data.t.length; i++) {
    const lo = data.min[i];
    const hi = data.max[i];
    const avg = data.avg[i];
    if (lo !== null && lo !== undefined && lo < min) min = lo;
    if (hi !== null && hi !== undefined && hi > max) max = hi;
    if (avg !== null && avg !== undefined) {
      sum += avg;
      n++;
    }
  }
  return n === 0 ? null : { min, max, avg: sum / n, buckets: n };
}

/** Numbers with exactly `decimals` decimals (one channel's figures all alike). */
function fixedNumber(decimals: number) {
  const f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '—' : f.format(v));
}

/** A gap shorter than this (seconds) is joined: readings may come every 5 minutes into 1-minute buckets. */
const MIN_OUTAGE = 15 * 60;

/**
 * The shortest gap between readings drawn as a break in the line: three times the median
 * spacing of the buckets with a reading, and never under 15 minutes. Shorter runs of empty
 * buckets are only the device's own cadence (finer buckets than readings) and are joined.
 */
export function outageThreshold(t: number[], values: (number | null)[]): number {
  const spacings: number[] = [];
  let prev: number | null = null;
  for (let i = 0; i < t.length; i++) {
    if (values[i] === null || values[i] === undefined) continue;
    if (prev !== null) spacings.push(t[i]! - prev);
    prev = t[i]!;
  }
  if (spacings.length === 0) return MIN_OUTAGE;
  spacings.sort((a, b) => a - b);
  const median = spacings[Math.floor(spacings.length / 2)]!;
  return Math.max(3 * median, MIN_OUTAGE);
}

/** The last bucket with a reading: its value (average) and start, or null. */
export function lastInRange(data: SeriesColumns): { value: number; t: number } | null {
  for (let i = data.t.length - 1; i >= 0; i--) {
    const v = data.avg[i];
    if (v !== null && v !== undefined) return { value: v, t: data.t[i]! };
  }
  return null;
}

/**
 * One channel over a range: the average as a line, the minimum–maximum of each bucket as a
 * band (uPlot `bands`), times on the axis and in the legend in the facility's zone
 * (uPlot.tzDate). Dragging across the plot asks the page for that range (zoom-fetch), the
 * page fetches it at full resolution and hands the new data back. The canvas is an image
 * with a name that says what it shows; a data summary sits beside it for screen readers.
 */
export function TimeSeriesChart({ title, unit, timeZone, from, to, data, rangeLabel, onZoom, latest, decimals, height = 220 }: TimeSeriesChartProps) {
  const formatNumber = useMemo(() => (decimals === undefined ? formatAny : fixedNumber(decimals)), [decimals]);
  const container = useRef<HTMLDivElement>(null);
  const summaryId = useId();
  const [showSummary, setShowSummary] = useState(false);
  const range = useRef({ from, to });
  range.current = { from, to };
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const marked = useRef(false);

  const aligned = useMemo<uPlot.AlignedData>(() => [data.t, data.max, data.min, data.avg], [data]);
  const outage = useRef(MIN_OUTAGE);
  outage.current = useMemo(() => outageThreshold(data.t, data.avg), [data]);
  const unitSuffix = unit ? ` ${unit}` : '';
  const value = (_u: uPlot, v: number | null) => (v === null ? '—' : `${formatNumber(v)}${unitSuffix}`);

  // Breaks in the line only where readings stopped for longer than the device's cadence: the
  // gaps uPlot finds (canvas pixels between the readings on either side) are kept when they
  // span more time than the threshold.
  const keepOutages: uPlot.Series.GapsRefiner = (u, _si, _i0, _i1, gaps) => {
    const { min, max } = u.scales.x ?? {};
    if (min === undefined || max === undefined || max <= min || gaps.length === 0) return gaps;
    const pxPerSecond = u.bbox.width / (max - min);
    const threshold = outage.current * pxPerSecond;
    return gaps.filter(([a, b]) => b - a > threshold);
  };
  // Points on the line when there are few readings in view (a lone reading between outages is a dot).
  const sparse: uPlot.Series.Points.Show = (u, si, i0, i1) => {
    const ys = u.data[si]!;
    let n = 0;
    for (let i = i0; i <= i1; i++) if (ys[i] !== null && ys[i] !== undefined) n++;
    return n <= u.bbox.width / devicePixelRatio / 12;
  };

  useUplot(
    container,
    (width) => ({
      width,
      height,
      tzDate: zonedDate(timeZone),
      scales: { x: { time: true, range: () => [range.current.from, range.current.to] } },
      series: [
        // The legend's time in the same format as every other time of the app (facility's zone).
        { value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatDateTime(v * 1000, timeZone)) },
        { label: 'Max', stroke: EDGE, width: 1, value, gaps: keepOutages },
        { label: 'Min', stroke: EDGE, width: 1, value, gaps: keepOutages },
        { label: 'Avg', stroke: AVG, width: 2, value, gaps: keepOutages, points: { show: sparse } },
      ],
      bands: [{ series: [1, 2], fill: BAND }],
      axes: [{}, { size: 60, values: (_u, splits) => splits.map((v) => formatAny(v)) }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current?.(Math.floor(a), Math.ceil(b));
          },
        ],
        draw: [
          (u) => {
            if (marked.current || u.data[0].length === 0) return;
            marked.current = true;
            if (!drawnMarked) {
              drawnMarked = true;
              performance.mark('flowline:chart-drawn');
            }
          },
        ],
      },
    }),
    aligned,
    `${timeZone}|${unit}|${height}|${decimals}`,
  );

  const stats = summarize(data);
  const figures = stats
    ? `average ${formatNumber(stats.avg)}${unitSuffix}, minimum ${formatNumber(stats.min)}${unitSuffix}, maximum ${formatNumber(stats.max)}${unitSuffix}`
    : 'no readings in this range';
  const last = lastInRange(data);
  const lastText = latest ? `latest ${latest}, ` : last ? `last in range ${formatNumber(last.value)}${unitSuffix} at ${formatDateTime(last.t * 1000, timeZone)}, ` : '';
  const label = `${title}, ${rangeLabel}: ${lastText}${figures}.`;

  return (
    <div className="ts-chart">
      <div ref={container} className="ts-chart-plot" role="img" aria-label={label} aria-describedby={summaryId} data-testid="chart" />
      <button type="button" className="link small" aria-expanded={showSummary} aria-controls={summaryId} onClick={() => setShowSummary((s) => !s)}>
        {showSummary ? 'Hide data summary' : 'Show data summary'}
      </button>
      <div id={summaryId} className={showSummary ? 'chart-summary' : 'chart-summary visually-hidden'}>
        <p>
          {title} from {formatDateTime(from * 1000, timeZone)} to {formatDateTime(to * 1000, timeZone)} ({timeZone}):{' '}
          {stats ? `${figures}, over ${stats.buckets} ${stats.buckets === 1 ? 'bucket' : 'buckets'} with readings.` : 'no readings in this range.'}
        </p>
      </div>
    </div>
  );
}
