import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { createEffect, onCleanup } from "solid-js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** Series colours: each at least 3:1 against white (WCAG 1.4.11), and told apart by the legend too. */
const COLOURS = ["#0031d8", "#b45309", "#047857", "#7e22ce", "#be123c", "#334155", "#0e7490", "#4d7c0f"];

export type ChartSeries = { label: string; values: (number | null)[] };

/**
 * A bar or line chart drawn on a canvas by Chart.js. The canvas is an image with a short name; the figures
 * themselves are in the data table beside it, which is what screen readers use.
 */
export function StatsChart(props: {
  kind: "bar" | "line";
  labels: string[];
  series: ChartSeries[];
  /** Names the chart for assistive technology, e.g. "グラフ: 月別の利用件数（数値は下の表）". */
  name: string;
  percent: boolean;
}) {
  let canvas!: HTMLCanvasElement;
  let chart: Chart | undefined;

  createEffect(() => {
    chart?.destroy();
    chart = new Chart(canvas, {
      type: props.kind,
      data: {
        labels: props.labels,
        datasets: props.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          backgroundColor: COLOURS[i % COLOURS.length],
          borderColor: COLOURS[i % COLOURS.length],
          borderWidth: props.kind === "line" ? 2 : 0,
          spanGaps: true,
        })),
      },
      options: {
        // Motion adds nothing to figures, and some readers find it hard (WCAG 2.3.3).
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: props.series.length > 1, position: "bottom" } },
        scales: {
          y: {
            beginAtZero: true,
            ...(props.percent
              ? { max: 100, ticks: { callback: (v) => `${v}%` } }
              : { ticks: { precision: 0 } }),
          },
        },
      },
    });
  });
  onCleanup(() => chart?.destroy());

  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={props.name} />
    </div>
  );
}
