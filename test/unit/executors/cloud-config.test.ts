// The config of cloud executors (executors.lambda / .ecs / .addresses): defaults, and start-up
// refusing what cannot work with a message naming the option.
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

const SECRET = 'sixteen-chars-secret';

function problem(executors: Record<string, unknown>): string {
  try {
    loadConfig({ env: {}, overrides: { executors } });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('cloud executor configuration', () => {
  it('lambda: defaults for everything but the function name', () => {
    const c = loadConfig({ env: { SKEIN_EXECUTOR_MODE: 'lambda', SKEIN_EXECUTOR_SECRET: SECRET }, overrides: { executors: { lambda: { functionName: 'skein-engine' } } } });
    expect(c.executors.mode).toBe('lambda');
    expect(c.executors.lambda).toEqual({
      functionName: 'skein-engine',
      region: 'us-east-1',
      endpoints: [],
      concurrency: 16,
      invocation: 'sync',
      inlineLimitBytes: 4 << 20,
      maxRetries: 5,
    });
  });

  it('lambda: refuses a missing secret, a missing section, async without a result prefix, an inline limit over 4 MiB', () => {
    expect(problem({ mode: 'lambda', lambda: { functionName: 'f' } })).toMatch(/executors\.secret: lambda executors need the shared executors\.secret/);
    expect(problem({ mode: 'lambda', secret: SECRET })).toMatch(/executors\.lambda: mode "lambda" needs executors\.lambda/);
    expect(problem({ mode: 'lambda', secret: SECRET, lambda: { functionName: 'f', invocation: 'async' } })).toMatch(/asynchronous invocations need resultPrefix/);
    expect(problem({ mode: 'lambda', secret: SECRET, lambda: { functionName: 'f', inlineLimitBytes: 6 << 20 } })).toMatch(/executors\.lambda\.inlineLimitBytes/);
    expect(problem({ mode: 'lambda', secret: SECRET, lambda: { functionName: 'f', endpoints: ['not a url'] } })).toMatch(/executors\.lambda\.endpoints\.0/);
  });

  it('fargate: defaults, and refuses a missing ecs section or subnets', () => {
    const c = loadConfig({
      env: {},
      overrides: { executors: { mode: 'fargate', count: 3, secret: SECRET, ecs: { cluster: 'c', taskDefinition: 'skein-executor:4', subnets: ['subnet-1'] } } },
    });
    expect(c.executors.ecs).toEqual({
      cluster: 'c',
      taskDefinition: 'skein-executor:4',
      containerName: 'skein-executor',
      region: 'us-east-1',
      subnets: ['subnet-1'],
      securityGroups: [],
      assignPublicIp: false,
      port: 31338,
      startTimeoutSeconds: 180,
    });
    expect(problem({ mode: 'fargate', count: 1, secret: SECRET })).toMatch(/executors\.ecs: mode "fargate" needs executors\.ecs/);
    expect(problem({ mode: 'fargate', count: 1, secret: SECRET, ecs: { cluster: 'c', taskDefinition: 't', subnets: [] } })).toMatch(/executors\.ecs\.subnets/);
  });

  it('remote (the EC2 monostore): needs addresses and the secret', () => {
    const c = loadConfig({ env: {}, overrides: { executors: { mode: 'remote', addresses: ['10.0.0.5:31338'], secret: SECRET } } });
    expect(c.executors).toMatchObject({ mode: 'remote', addresses: ['10.0.0.5:31338'] });
    expect(problem({ mode: 'remote', secret: SECRET })).toMatch(/executors\.addresses: mode "remote" needs executors\.addresses/);
    expect(problem({ mode: 'remote', addresses: ['h:1'] })).toMatch(/executors\.secret/);
  });

  it('an unknown mode names the choices', () => {
    expect(problem({ mode: 'kubernetes' })).toMatch(/executors\.mode: .*lambda.*fargate.*remote/);
  });
});
