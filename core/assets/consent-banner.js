/**
 * The consent banner a site adds with one script tag (`<script src="https://router.example/consent.js" async>`).
 * It asks the visitor about the deployment's purposes (privacy.purposes), keeps the choice on the site, records it
 * on the router under the visitor's SDK identifiers through the router's consent frame, and hands it to the SDKs on
 * the page: Segment analytics.js `context.consent.categoryPreferences` on every event (a source middleware), the
 * mParticle web SDK's GDPR consent state on the current user. `SwitchyardConsent.open()`, or a click on any element
 * with `data-switchyard-privacy-choices`, re-opens it to change or withdraw the choice.
 */
function switchyardConsentBanner(settings) {
  if (window.SwitchyardConsent) return;
  var STORAGE_KEY = 'switchyard.consent';
  var prefix = 'switchyard-consent-';
  var script = document.currentScript;
  var routerOrigin = settings.routerOrigin || (script && script.src ? new URL(script.src).origin : location.origin);
  var sdks = { analytics: undefined, mParticle: undefined, anonymousId: undefined };
  var listeners = [];
  var choice = readStoredChoice();
  var dialog;
  var reopenButton;
  var returnFocusTo;
  var frame;
  var frameReady;
  var pending = {};
  var nextId = 1;
  var segmentMiddlewareOn = [];

  function readStoredChoice() {
    try {
      var stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      return stored && typeof stored.purposes === 'object' ? stored : undefined;
    } catch (error) {
      return undefined;
    }
  }

  function storeChoice(value) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    } catch (error) {
      // Private modes may refuse storage: the choice still applies to this page and is recorded on the router.
    }
  }

  // --- the router's consent frame ---------------------------------------------------------------------------
  function openFrame() {
    if (frameReady) return frameReady;
    frameReady = new Promise(function (resolve) {
      window.addEventListener('message', function (event) {
        if (event.origin !== routerOrigin || !frame || event.source !== frame.contentWindow) return;
        var message = event.data || {};
        if (message.type === 'switchyard-consent:ready') resolve(frame.contentWindow);
        if (message.type === 'switchyard-consent:recorded' && pending[message.id]) {
          pending[message.id](message);
          delete pending[message.id];
        }
      });
      frame = document.createElement('iframe');
      frame.src = routerOrigin + '/privacy/consent/frame?site=' + encodeURIComponent(location.origin);
      frame.title = 'Consent recorder';
      frame.setAttribute('aria-hidden', 'true');
      frame.tabIndex = -1;
      frame.style.display = 'none';
      document.body.appendChild(frame);
    });
    return frameReady;
  }

  function identities() {
    var found = {};
    var anonymousId = sdks.anonymousId;
    try {
      if (!anonymousId && sdks.analytics && sdks.analytics.user) anonymousId = sdks.analytics.user().anonymousId();
    } catch (error) {
      anonymousId = undefined;
    }
    if (anonymousId) found.anonymous_id = String(anonymousId);
    try {
      var das = sdks.mParticle && sdks.mParticle.getDeviceId && sdks.mParticle.getDeviceId();
      if (das) found.device_application_stamp = String(das);
    } catch (error) {
      // mParticle not initialised yet: its identifier is sent once use() is called again.
    }
    return found;
  }

  /** Records the choice on the router; resolves with the router's answer. */
  function record(value) {
    var ids = identities();
    if (!Object.keys(ids).length) return Promise.resolve({ ok: false, message: 'no SDK identifier on this page yet' });
    var answered = openFrame().then(function (target) {
      return new Promise(function (resolve) {
        var id = nextId++;
        pending[id] = resolve;
        target.postMessage({ type: 'switchyard-consent:choice', id: id, identities: ids, purposes: value.purposes }, routerOrigin);
      });
    });
    // A router that is down, or that refuses this site its frame, must not leave the page waiting for ever.
    var timedOut = new Promise(function (resolve) {
      setTimeout(function () {
        resolve({ ok: false, message: 'the router did not answer' });
      }, settings.recordTimeoutMs || 15000);
    });
    return Promise.race([answered, timedOut]);
  }

  // --- the SDKs on the page ---------------------------------------------------------------------------------
  function categoryPreferences(value) {
    var preferences = {};
    settings.purposes.forEach(function (purpose) {
      (purpose.segmentCategories || []).forEach(function (category) {
        preferences[category] = value.purposes[purpose.id] === true;
      });
    });
    return preferences;
  }

  function attachSegment(analytics) {
    if (!analytics || typeof analytics.addSourceMiddleware !== 'function' || segmentMiddlewareOn.indexOf(analytics) !== -1) return;
    segmentMiddlewareOn.push(analytics);
    analytics.addSourceMiddleware(function (input) {
      if (choice) {
        var context = (input.payload.obj.context = input.payload.obj.context || {});
        context.consent = Object.assign({}, context.consent, { categoryPreferences: categoryPreferences(choice) });
      }
      input.next(input.payload);
    });
  }

  function applyToMparticle() {
    var mp = sdks.mParticle;
    if (!mp || !choice || !mp.Consent) return;
    var apply = function () {
      var user = mp.Identity && mp.Identity.getCurrentUser && mp.Identity.getCurrentUser();
      if (!user) return;
      var state = mp.Consent.createConsentState();
      settings.purposes.forEach(function (purpose) {
        (purpose.mparticlePurposes || [purpose.id]).forEach(function (name) {
          state.addGDPRConsentState(
            name,
            mp.Consent.createGDPRConsent(choice.purposes[purpose.id] === true, choice.at, 'switchyard-consent-banner', location.href),
          );
        });
      });
      user.setConsentState(state);
    };
    if (typeof mp.ready === 'function') mp.ready(apply);
    else apply();
  }

  // --- the banner -------------------------------------------------------------------------------------------
  function injectStyle() {
    if (document.getElementById(prefix + 'style')) return;
    var style = document.createElement('style');
    style.id = prefix + 'style';
    style.textContent =
      '.' +
      prefix +
      'dialog{position:fixed;left:1rem;right:1rem;bottom:1rem;max-width:36rem;margin:auto;z-index:2147483647;background:#fff;color:#1a1a1a;' +
      'border:2px solid #1a1a1a;border-radius:8px;padding:1rem 1.25rem;font:15px/1.45 system-ui,sans-serif;box-shadow:0 4px 24px rgba(0,0,0,.25)}' +
      '.' +
      prefix +
      'dialog h2{font-size:1.1rem;margin:0 0 .5rem}.' +
      prefix +
      'dialog fieldset{border:0;padding:0;margin:.5rem 0}' +
      '.' +
      prefix +
      'dialog label{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}' +
      '.' +
      prefix +
      'actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}' +
      '.' +
      prefix +
      'dialog button,.' +
      prefix +
      'reopen{font:inherit;padding:.45rem 1rem;border-radius:4px;border:2px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}' +
      '.' +
      prefix +
      'dialog button.' +
      prefix +
      'secondary{background:#fff;color:#0b57d0}' +
      '.' +
      prefix +
      'dialog :focus-visible,.' +
      prefix +
      'reopen:focus-visible{outline:3px solid #f9a825;outline-offset:2px}' +
      '.' +
      prefix +
      'reopen{position:fixed;left:1rem;bottom:1rem;z-index:2147483646;font-size:13px;padding:.3rem .75rem}';
    document.head.appendChild(style);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function buildDialog() {
    injectStyle();
    var root = element('div', {
      class: prefix + 'dialog',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': prefix + 'title',
      'aria-describedby': prefix + 'text',
      id: prefix + 'dialog',
    });
    root.appendChild(element('h2', { id: prefix + 'title' }, settings.title));
    var text = element('p', { id: prefix + 'text' }, settings.text + ' ');
    if (settings.policyUrl) text.appendChild(element('a', { href: settings.policyUrl, target: '_blank', rel: 'noopener' }, 'Privacy policy'));
    root.appendChild(text);
    var fieldset = element('fieldset');
    fieldset.appendChild(element('legend', { class: prefix + 'legend' }, 'Choose what you allow'));
    settings.purposes.forEach(function (purpose) {
      var label = element('label');
      var box = element('input', { type: 'checkbox', name: purpose.id, 'data-purpose': purpose.id });
      label.appendChild(box);
      var words = element('span', {}, purpose.label);
      if (purpose.description && purpose.description !== purpose.label) words.appendChild(element('small', {}, ' ' + purpose.description));
      label.appendChild(words);
      fieldset.appendChild(label);
    });
    root.appendChild(fieldset);
    var actions = element('div', { class: prefix + 'actions' });
    var acceptAll = element('button', { type: 'button', 'data-action': 'accept-all' }, 'Accept all');
    var rejectAll = element('button', { type: 'button', 'data-action': 'reject-all', class: prefix + 'secondary' }, 'Reject all');
    var save = element('button', { type: 'button', 'data-action': 'save', class: prefix + 'secondary' }, 'Save my choices');
    actions.appendChild(acceptAll);
    actions.appendChild(rejectAll);
    actions.appendChild(save);
    root.appendChild(actions);
    root.appendChild(element('p', { role: 'status', 'aria-live': 'polite', class: prefix + 'status' }));
    acceptAll.addEventListener('click', function () {
      choose(allPurposes(true));
    });
    rejectAll.addEventListener('click', function () {
      choose(allPurposes(false));
    });
    save.addEventListener('click', function () {
      var purposes = {};
      root.querySelectorAll('input[data-purpose]').forEach(function (box) {
        purposes[box.getAttribute('data-purpose')] = box.checked;
      });
      choose(purposes);
    });
    root.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        close();
      } else if (event.key === 'Tab') trapFocus(event);
    });
    return root;
  }

  function focusables() {
    return Array.prototype.slice.call(dialog.querySelectorAll('a[href],button,input')).filter(function (node) {
      return !node.disabled;
    });
  }

  function trapFocus(event) {
    var all = focusables();
    var first = all[0];
    var last = all[all.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function allPurposes(consented) {
    var purposes = {};
    settings.purposes.forEach(function (purpose) {
      purposes[purpose.id] = consented;
    });
    return purposes;
  }

  function open() {
    if (!document.body) return document.addEventListener('DOMContentLoaded', open);
    if (!dialog) dialog = buildDialog();
    dialog.querySelectorAll('input[data-purpose]').forEach(function (box) {
      box.checked = Boolean(choice && choice.purposes[box.getAttribute('data-purpose')]);
    });
    dialog.querySelector('.' + prefix + 'status').textContent = '';
    returnFocusTo = document.activeElement && document.activeElement !== document.body ? document.activeElement : reopenButton;
    if (reopenButton) reopenButton.hidden = true;
    if (!dialog.isConnected) document.body.appendChild(dialog);
    var first = dialog.querySelector('input[data-purpose]') || dialog.querySelector('button');
    first.focus();
  }

  function close() {
    if (dialog && dialog.isConnected) dialog.remove();
    showReopenButton();
    var target = returnFocusTo && returnFocusTo.isConnected ? returnFocusTo : reopenButton;
    if (target && !target.hidden) target.focus();
  }

  function showReopenButton() {
    if (settings.reopenButton === false || !choice) return;
    if (!reopenButton) {
      injectStyle();
      reopenButton = element(
        'button',
        { type: 'button', class: prefix + 'reopen', 'aria-haspopup': 'dialog', 'aria-controls': prefix + 'dialog' },
        'Privacy choices',
      );
      reopenButton.addEventListener('click', open);
      document.body.appendChild(reopenButton);
    }
    reopenButton.hidden = false;
  }

  /** Applies a choice: kept on the site, handed to the SDKs, recorded on the router. Resolves with the router's answer. */
  function choose(purposes) {
    var value = { purposes: {}, at: Date.now() };
    settings.purposes.forEach(function (purpose) {
      value.purposes[purpose.id] = purposes[purpose.id] === true;
    });
    choice = value;
    storeChoice(value);
    applyToMparticle();
    listeners.forEach(function (listener) {
      listener(value);
    });
    var statusLine = dialog && dialog.querySelector('.' + prefix + 'status');
    if (statusLine) statusLine.textContent = 'Saving…';
    var recorded = record(value).then(function (answer) {
      var result = { ok: answer.ok === true, status: answer.status, message: answer.message };
      document.dispatchEvent(new CustomEvent('switchyard:consent-recorded', { detail: result }));
      return result;
    });
    close();
    return recorded;
  }

  function use(given) {
    given = given || {};
    if (given.analytics) sdks.analytics = given.analytics;
    if (given.mParticle) sdks.mParticle = given.mParticle;
    if (given.anonymousId) sdks.anonymousId = given.anonymousId;
    attachSegment(sdks.analytics);
    applyToMparticle();
    // A choice made before the SDK was known (or on an earlier visit) is recorded under its identifiers too.
    return choice ? record(choice) : Promise.resolve({ ok: false, message: 'no choice yet' });
  }

  document.addEventListener('click', function (event) {
    var target = event.target && event.target.closest && event.target.closest('[data-switchyard-privacy-choices]');
    if (!target) return;
    event.preventDefault();
    open();
  });

  window.SwitchyardConsent = {
    open: open,
    choose: choose,
    use: use,
    choice: function () {
      return choice ? JSON.parse(JSON.stringify(choice)) : undefined;
    },
    onChange: function (listener) {
      listeners.push(listener);
    },
  };

  if (window.analytics && typeof window.analytics.addSourceMiddleware === 'function') sdks.analytics = window.analytics;
  if (window.mParticle && window.mParticle.Consent) sdks.mParticle = window.mParticle;
  attachSegment(sdks.analytics);
  var start = function () {
    if (choice) showReopenButton();
    else open();
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
}
