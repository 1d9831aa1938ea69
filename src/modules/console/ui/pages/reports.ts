import { useEffect, useState } from 'preact/hooks';
import { getJson, objectUrl } from '../api';
import {
  ErrorMessage,
  formValues,
  html,
  Section,
  TableHead,
  useAction,
  useLoad,
} from '../components';

interface DayStats {
  day: string;
  uploads: number;
  processed: number;
  failed: { total: number };
  quarantined: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

export function ReportsPage() {
  const [range, setRange] = useState({
    from: isoDay(Date.now() - 6 * DAY_MS),
    to: isoDay(Date.now()),
  });
  const query = `from=${range.from}&to=${range.to}`;
  const stats = useLoad(() => getJson<{ days: DayStats[] }>(`/v1/stats?${query}`), [query]);
  const [chart, setChart] = useState<string | null>(null);
  const chartLoad = useAction();
  const download = useAction();

  useEffect(() => {
    let url: string | null = null;
    setChart(null);
    void chartLoad.run(async () => {
      url = await objectUrl(`/v1/reports/chart?${query}`);
      setChart(url);
    });
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [query]);

  const downloadCsv = () =>
    download.run(async () => {
      const link = document.createElement('a');
      link.href = await objectUrl(`/v1/reports?${query}&format=csv`);
      link.download = `vireo-report-${range.from}-${range.to}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    });

  return html`<h1 tabindex="-1">Reports</h1>
    <form
      class="filters"
      aria-label="Date range"
      onSubmit=${(e: Event) => {
        const { from, to } = formValues(e);
        setRange({ from, to });
      }}
    >
      <label>From <input name="from" type="date" value=${range.from} required /></label>
      <label>To <input name="to" type="date" value=${range.to} required /></label>
      <button type="submit">Show</button>
    </form>
    <${Section} title="Daily chart">
      ${
        chart
          ? html`<img
              class="chart"
              src=${chart}
              alt=${`Daily uploads and p95 latency from ${range.from} to ${range.to}`}
            />`
          : html`<p class="muted">Loading the chart...</p>`
      }
      <${ErrorMessage} error=${chartLoad.error} />
      <button type="button" onClick=${downloadCsv} disabled=${download.busy}>Download CSV</button>
      <${ErrorMessage} error=${download.error} />
    <//>
    <${Section} title="Daily statistics">
      <${ErrorMessage} error=${stats.error} />
      <table>
        <${TableHead}
          caption="Uploads and latency per UTC day"
          columns=${['Day', 'Uploads', 'Processed', 'Failed', 'Quarantined', 'p50 ms', 'p95 ms']}
        />
        <tbody>
          ${(stats.value?.days ?? []).map(
            (day) =>
              html`<tr key=${day.day}>
                <th scope="row">${day.day}</th>
                <td>${day.uploads}</td>
                <td>${day.processed}</td>
                <td>${day.failed.total}</td>
                <td>${day.quarantined}</td>
                <td>${day.latencyMs.p50 ?? '-'}</td>
                <td>${day.latencyMs.p95 ?? '-'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>`;
}
