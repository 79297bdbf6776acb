import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export interface ChartProps {
  title: string;
  /** One label per series after the time axis. */
  labels: string[];
  data: uPlot.AlignedData;
  height?: number;
}

/** A uPlot line chart of per-second rates over time; built once per set of labels, fed new data on each render. */
export function Chart({ title, labels, data, height = 160 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  const key = labels.join('\u0000');
  useEffect(() => {
    const element = box.current!;
    const options: uPlot.Options = {
      title,
      width: Math.max(element.clientWidth, 280),
      height,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
      axes: [{}, { size: 50 }],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${v.toFixed(2)}/s`),
        })),
      ],
    };
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 280), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [key, title, height]);
  useEffect(() => plot.current?.setData(data), [data]);
  return html`<div class="chart" ref=${box}></div>`;
}
