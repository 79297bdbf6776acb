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

/** A user trait wherever the SDKs put it: an identify's traits, or the context traits of any other event. */
export const traitMapping = (name: string): Mapping => ({ '@firstOf': [{ '@path': `$.traits.${name}` }, { '@path': `$.context.traits.${name}` }] });

/** A user trait, or else the event's property of that name (conversion events often carry the buyer's email there). */
export const traitOrPropertyMapping = (name: string): Mapping => ({
  '@firstOf': [{ '@path': `$.traits.${name}` }, { '@path': `$.context.traits.${name}` }, { '@path': `$.properties.${name}` }],
});
