import { useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { formatNumber, useUplot, zonedDate } from './use-uplot';

export interface BarChartProps {
  /** Accessible name: what the bars are, over which range, and the total. */
  label: string;
  seriesLabel: string;
  unit: string;
  timeZone: string;
  /** Bar starts (epoch seconds, ascending) and their values. */
  t: number[];
  values: number[];
  /** The x range drawn, epoch seconds. */
  from: number;
  to: number;
  height?: number;
}

const FILL = 'rgba(11, 92, 173, 0.75)';

/**
 * Bars that start at their bucket's start (hour or day) and fill it, times in the facility's
 * zone. The figures themselves are in a table beside the chart (the chart is an image).
 */
export function BarChart({ label, seriesLabel, unit, timeZone, t, values, from, to, height = 200 }: BarChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const range = useRef({ from, to });
  range.current = { from, to };
  const aligned = useMemo<uPlot.AlignedData>(() => [t, values], [t, values]);
  useUplot(
    container,
    (width) => ({
      width,
      height,
      tzDate: zonedDate(timeZone),
      scales: { x: { time: true, range: () => [range.current.from, range.current.to] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [
        {},
        {
          label: seriesLabel,
          fill: FILL,
          stroke: FILL,
          width: 0,
          paths: uPlot.paths.bars!({ align: 1, size: [0.9, Infinity] }),
          points: { show: false },
          value: (_u, v) => (v === null ? '—' : `${formatNumber(v)} ${unit}`),
        },
      ],
      axes: [{}, { size: 60, values: (_u, splits) => splits.map((v) => formatNumber(v)) }],
      cursor: { drag: { x: false, y: false } },
    }),
    aligned,
    `${timeZone}|${unit}|${height}|${seriesLabel}`,
  );
  return (
    <div className="bar-chart">
      <div ref={container} className="bar-chart-plot" role="img" aria-label={label} />
    </div>
  );
}
