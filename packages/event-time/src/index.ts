export { EVENT_TIME_FLOOR_MS, MAX_AT_MS, judgedEventTime } from './event-time.js';
export { lateness, describeLateness, type Lateness } from './lateness.js';
