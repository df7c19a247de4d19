import { describe, expect, it } from 'vitest';
import { writeIdProblem } from './ids.js';

describe('the id of a write, as a path segment', () => {
  it('is "<source>:<seq>", the source possibly holding colons', () => {
    for (const id of ['app:0', 'app-1:42', 'app:eu:7', 'a.b_c-d:9007199254740990', `${'s'.repeat(64)}:1`])
      expect(writeIdProblem(id), id).toBeUndefined();
  });

  it('is refused when it is not one, saying what it should be', () => {
    for (const id of [
      'app',
      'app:',
      ':5',
      'app:-1',
      'app:1.5',
      'app:x',
      'a b:1',
      'a/b:1',
      `${'s'.repeat(65)}:1`,
      'app:9007199254740991',
      'app:9007199254740992',
      'app:99999999999999999',
    ]) {
      expect(writeIdProblem(id), id).toMatch(/^must be "<source>:<seq>"/);
    }
  });

  it('is refused when not spelled as the write was answered', () => {
    expect(writeIdProblem('app:007')).toBe(
      'must be written as the write was answered, without leading zeros in the seq',
    );
  });
});
