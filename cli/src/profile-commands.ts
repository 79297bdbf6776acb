/** `switchyard profile …`: the identity graph of a running router, through its admin API. */
import { admin as adminRequest, parseIdentity, type AdminOptions } from './admin-client.js';

interface AdminAnswer {
  error?: { message?: string };
  profiles: ProfileView[];
  log: Array<{
    id: number;
    at: string;
    kind: string;
    other_profile_id?: string;
    identifiers: Array<{ type: string; value: string }>;
    cause: string;
    rule: string;
  }>;
  split: { restored_profile_id: string; from_profile_id: string };
}

interface ProfileView {
  profile_id: string;
  created_at: string;
  merged_profiles: string[];
  identifiers: Array<{ type: string; value: string; linked_at: string }>;
  traits: Record<string, unknown>;
}

const admin = (options: AdminOptions, method: string, path: string, body?: unknown) => adminRequest<AdminAnswer>(options, method, path, { body });

/** `<type>:<value>`, e.g. `email:ada@example.com`, or a bare profile id. */
function parseIdentifier(raw: string): { type: string; value: string } {
  if (/^-?\d+$/.test(raw)) return { type: 'profile_id', value: raw };
  return parseIdentity(raw);
}

function printProfile(profile: ProfileView): void {
  const lines = [`profile ${profile.profile_id}  (created ${profile.created_at})`];
  if (profile.merged_profiles.length) lines.push(`  merged from: ${profile.merged_profiles.join(', ')}`);
  lines.push('  identifiers:');
  for (const i of profile.identifiers) lines.push(`    ${i.type.padEnd(22)} ${i.value}  (linked ${i.linked_at})`);
  const traits = Object.entries(profile.traits);
  if (traits.length) lines.push('  traits:', ...traits.map(([name, value]) => `    ${name.padEnd(22)} ${JSON.stringify(value)}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runProfileShow(identifier: string, options: AdminOptions): Promise<void> {
  const { type, value } = parseIdentifier(identifier);
  const { json } = await admin(options, 'GET', `/admin/v1/profiles?identity_type=${encodeURIComponent(type)}&identity_value=${encodeURIComponent(value)}`);
  const profiles = json.profiles;
  if (options.json) return void process.stdout.write(`${JSON.stringify(profiles, null, 2)}\n`);
  if (profiles.length === 0) throw new Error(`no profile holds ${type} ${value}`);
  profiles.forEach(printProfile);
}

export async function runProfileLog(profileId: string, options: AdminOptions): Promise<void> {
  const { json } = await admin(options, 'GET', `/admin/v1/profiles/${encodeURIComponent(profileId)}/log`);
  if (options.json) return void process.stdout.write(`${JSON.stringify(json.log, null, 2)}\n`);
  for (const entry of json.log) {
    const ids = entry.identifiers.map((i) => `${i.type}:${i.value}`).join(' ');
    const other = entry.other_profile_id ? ` ${entry.kind === 'merge' ? '<-' : '->'} ${entry.other_profile_id}` : '';
    process.stdout.write(`#${entry.id}  ${entry.at}  ${entry.kind}${other}  rule=${entry.rule}  cause=${entry.cause}  ${ids}\n`);
  }
}

export async function runProfileSplit(profileId: string, logEntry: string, options: AdminOptions): Promise<void> {
  const entry = Number(logEntry);
  if (!Number.isInteger(entry) || entry < 1) throw new Error(`"${logEntry}" is not a log entry number; see switchyard profile log ${profileId}`);
  const { json } = await admin(options, 'POST', `/admin/v1/profiles/${encodeURIComponent(profileId)}/split`, { log_entry: entry });
  process.stdout.write(
    options.json ? `${JSON.stringify(json.split)}\n` : `profile ${json.split.restored_profile_id} split back out of ${json.split.from_profile_id}\n`,
  );
}

export async function runProfileRemoveIdentifier(profileId: string, identifier: string, options: AdminOptions): Promise<void> {
  const { type, value } = parseIdentifier(identifier);
  await admin(
    options,
    'DELETE',
    `/admin/v1/profiles/${encodeURIComponent(profileId)}/identifiers?identity_type=${encodeURIComponent(type)}&identity_value=${encodeURIComponent(value)}`,
  );
  process.stdout.write(`removed ${type} ${value} from profile ${profileId}; it will not join that profile again\n`);
}
