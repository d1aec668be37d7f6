import { describe, expect, it } from 'vitest';
import { check, project } from './helpers.js';

const ID = 'protocol.header-validation';

describe(ID, () => {
  it('is proven live only: n/a from the files, saying to run verify --live', async () => {
    const result = await check(await project(), ID);
    expect(result).toMatchObject({
      status: 'n/a',
      summary: expect.stringMatching(/^Proven live only: .*verify --live/),
    });
  });
});
