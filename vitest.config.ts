import { defineConfig } from 'vitest/config';

// Two groups in one run (one report, one summary line, one exit status). Vitest runs groups one after the
// other, from the lowest sequence.groupOrder: first every ordinary test file, two at a time; then, alone, the
// files under test/serial/, which change machine-wide settings (e.g. fs.inotify.max_user_watches) that would
// break tests running beside them.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: ['test/serial/**', '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: ['test/serial/**/*.test.ts'],
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
