/**
 * What the gateway's /console/events stream sends as `event: state`: the whole view each time. The type is the
 * server's own (src/domain/console-view.ts), so the page and the gateway cannot drift apart.
 */
export type { ConsoleView } from '../../src/domain/console-view';
