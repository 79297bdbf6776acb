/**
 * Runs in the router's consent frame (/privacy/consent/frame), embedded by consent.js on an allowed site. Takes
 * choices only from that site's window (checked by origin and by window), and records them with a same-origin POST:
 * the router takes consent writes from its own origin only, so no other page can write a visitor's consent.
 */
function switchyardConsentFrame(settings) {
  var parentWindow = window.parent;
  if (!parentWindow || parentWindow === window) return;
  window.addEventListener('message', function (event) {
    if (event.origin !== settings.site || event.source !== parentWindow) return;
    var message = event.data;
    if (!message || message.type !== 'switchyard-consent:choice') return;
    fetch(settings.endpoint, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: settings.site, identities: message.identities, purposes: message.purposes }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      })
      .catch(function (error) {
        return { ok: false, status: 0, body: { message: String(error) } };
      })
      .then(function (result) {
        parentWindow.postMessage(
          { type: 'switchyard-consent:recorded', id: message.id, ok: result.ok, status: result.status, message: result.body && result.body.message },
          settings.site,
        );
      });
  });
  parentWindow.postMessage({ type: 'switchyard-consent:ready' }, settings.site);
}
