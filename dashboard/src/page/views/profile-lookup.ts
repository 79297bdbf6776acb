import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { AdminApi } from '../api.js';
import { dateTime, json } from '../format.js';
import { IDENTITY_TYPE_HINTS } from '../identity-types.js';
import type { Profile } from '../types.js';
import { ErrorNote, Section } from '../widgets.js';

function ProfileCard({ profile }: { profile: Profile }) {
  return html`<div class="inspect" data-role="profile" data-profile-id=${profile.profile_id}>
    <h3>Profile ${profile.profile_id}</h3>
    <p>Created ${dateTime(profile.created_at)}${profile.merged_profiles.length ? `; merged from ${profile.merged_profiles.join(', ')}` : ''}.</p>
    <table class="grid">
      <thead>
        <tr>
          <th>identifier</th>
          <th>value</th>
          <th>linked at</th>
        </tr>
      </thead>
      <tbody>
        ${profile.identifiers.map(
          (i) =>
            html`<tr data-identifier=${i.type}>
              <td>${i.type}</td>
              <td>${i.value}</td>
              <td>${dateTime(i.linked_at)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h4>Traits</h4>
    <pre data-field="traits">${json(profile.traits)}</pre>
    <h4>Consent</h4>
    <pre data-field="consent">${json(profile.consent)}</pre>
  </div>`;
}

/** The person behind an identifier: identifiers, traits and consent from the identity graph and profile store. */
export function ProfileLookup({ api }: { api: AdminApi }) {
  const [type, setType] = useState('user_id');
  const [value, setValue] = useState('');
  const [profiles, setProfiles] = useState<Profile[]>();
  const [error, setError] = useState<string>();
  const look = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setProfiles(undefined);
    try {
      const query = new URLSearchParams({ identity_type: type.trim(), identity_value: value.trim() });
      setProfiles((await api.get<{ profiles: Profile[] }>(`/admin/v1/profiles?${query}`)).profiles);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<${Section} title="Profile lookup">
    <form class="toolbar" data-role="profile-form" onSubmit=${look}>
      <label
        >identity type
        <input name="identity_type" list="profile-identity-types" value=${type} onInput=${(e: Event) => setType((e.target as HTMLInputElement).value)}
      /></label>
      <datalist id="profile-identity-types">${[...IDENTITY_TYPE_HINTS, 'profile_id'].map((t) => html`<option value=${t} />`)}</datalist>
      <label>value <input name="identity_value" required value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Look up</button>
    </form>
    <${ErrorNote} error=${error} />
    ${profiles?.length === 0 ? html`<p class="empty" data-role="empty">No profile has ${type} ${value}.</p>` : null}
    ${profiles?.map((p) => html`<${ProfileCard} key=${p.profile_id} profile=${p} />`)}
  <//>`;
}
