import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH, HOST_ENVIRONMENT_NAMES, isSecretEnvironmentName, pickEnvironment } from './environment';

describe('pickEnvironment', () => {
  const source = { PATH: '/bin', HOME: '/home/a', COLONIES_PRVKEY: 'secret', AWS_S3_SECRETKEY: 'secret', EMPTY: '' };

  it('takes only the named variables that are set, never the secrets', () => {
    expect(pickEnvironment(HOST_ENVIRONMENT_NAMES, source)).toEqual({ PATH: '/bin', HOME: '/home/a' });
    expect(pickEnvironment(['EMPTY', 'MISSING'], source)).toEqual({ EMPTY: '' });
  });

  it('fills PATH in only when asked and the source has none', () => {
    expect(pickEnvironment(['HOME'], {}, { defaultPath: DEFAULT_PATH })).toEqual({ PATH: DEFAULT_PATH });
    expect(pickEnvironment(['PATH'], source, { defaultPath: DEFAULT_PATH })).toEqual({ PATH: '/bin' });
    expect(pickEnvironment(['HOME'], {})).toEqual({});
  });

  it('reads the process environment by default', () => {
    expect(pickEnvironment(['PATH'])).toEqual(process.env.PATH === undefined ? {} : { PATH: process.env.PATH });
  });
});

describe('isSecretEnvironmentName', () => {
  it('matches the executor’s secret prefixes, or the ones given', () => {
    expect(isSecretEnvironmentName('COLONIES_PRVKEY')).toBe(true);
    expect(isSecretEnvironmentName('AWS_S3_SECRETKEY')).toBe(true);
    expect(isSecretEnvironmentName('EXECUTOR_TYPE')).toBe(true);
    expect(isSecretEnvironmentName('HOME')).toBe(false);
    expect(isSecretEnvironmentName('SITE_TOKEN', ['SITE_'])).toBe(true);
  });
});
