/** `switchyard trace <messageId>`: where a recent event went, and why a connection did not get it. */
import { admin, formatTable, printJson, type AdminOptions } from './admin-client.js';

interface TraceAnswer {
  trace: { messageId: string; sourceId: string; steps: Array<{ at: string; stage: string; connection?: string; outcome: string; reason?: string }> };
}

export async function runTrace(messageId: string, options: AdminOptions): Promise<void> {
  const { json } = await admin<TraceAnswer>(options, 'GET', `/admin/v1/trace/${encodeURIComponent(messageId)}`);
  if (options.json) return printJson(json.trace);
  const rows = json.trace.steps.map((s) => [s.at, s.stage, s.connection ?? '', s.outcome, s.reason ?? '']);
  process.stdout.write(
    `event ${json.trace.messageId} from source ${json.trace.sourceId}\n${formatTable(['AT', 'STAGE', 'CONNECTION', 'OUTCOME', 'REASON'], rows)}\n`,
  );
}
