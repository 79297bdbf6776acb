import type { Mapping } from './directives.js';

/** An analytics event's name: a track event's own, `Page Viewed` for a page and `Screen Viewed` for a screen. */
export const EVENT_NAME_MAPPING: Mapping = {
  '@if': {
    value: { '@path': '$.type' },
    equals: 'track',
    then: { '@path': '$.event' },
    else: { '@if': { value: { '@path': '$.type' }, equals: 'page', then: 'Page Viewed', else: 'Screen Viewed' } },
  },
};
