// sersync's <crontab schedule="N"> is "every N minutes" from start-up; rsync-live schedules full syncs with
// cron. Every N that divides an hour or a day (or is a whole day or week) has an exact cron form; any other
// N gets the nearest exact schedule that runs MORE often, never less, and the caller warns. Pure.

export interface CronSchedule {
  cron: string;
  /** The interval the cron expression really gives, in minutes. */
  everyMinutes: number;
  exact: boolean;
}

const CANDIDATES: [number, string][] = [
  [1, '* * * * *'],
  ...[2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map((m): [number, string] => [m, `*/${m} * * * *`]),
  [60, '0 * * * *'],
  ...[2, 3, 4, 6, 8, 12].map((h): [number, string] => [h * 60, `0 */${h} * * *`]),
  [1_440, '0 0 * * *'],
  [10_080, '0 0 * * 0'],
];

export function minutesToCron(minutes: number): CronSchedule {
  if (!Number.isInteger(minutes) || minutes < 1)
    throw new RangeError('the schedule must be at least 1 minute');
  let best = CANDIDATES[0] as [number, string];
  for (const candidate of CANDIDATES) if (candidate[0] <= minutes) best = candidate;
  return { cron: best[1], everyMinutes: best[0], exact: best[0] === minutes };
}

export function describeMinutes(minutes: number): string {
  if (minutes % 1_440 === 0) return `${minutes / 1_440} day${minutes === 1_440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
