import { useEffect, useRef, type RefObject } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';

/**
 * One uPlot in a container: created in an effect (again only when `optionsKey` changes, e.g.
 * another time zone or unit), sized to the container's width by a ResizeObserver, fed new data
 * with setData (no re-creation), destroyed on unmount.
 */
export function useUplot(
  container: RefObject<HTMLDivElement | null>,
  makeOptions: (width: number) => uPlot.Options,
  data: uPlot.AlignedData,
  optionsKey: string,
): RefObject<uPlot | null> {
  const plot = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;
  const makeRef = useRef(makeOptions);
  makeRef.current = makeOptions;

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const width = Math.max(200, el.clientWidth);
    const u = new uPlot(makeRef.current(width), latestData.current, el);
    plot.current = u;
    const observer = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: u.height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [container, optionsKey]);

  useEffect(() => {
    const u = plot.current;
    if (u && u.data !== data) u.setData(data);
  }, [data]);

  return plot;
}

/** Numbers in legends and summaries: at most two decimals, grouped thousands. */
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
export const formatNumber = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : numberFormat.format(v));

/** The chart's clock: uPlot formats axis ticks and legend times through this (facility's zone). */
export const zonedDate = (timeZone: string) => (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), timeZone);
