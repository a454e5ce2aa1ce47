import { CreateDatabaseCommand, GetTablesCommand, GetDatabasesCommand, GlueClient } from '@aws-sdk/client-glue';
import { MOTO_CREDENTIALS, startMoto } from '../../services/services';
test('scratch', async () => {
  process.env.INITIAL_NO_AUTH_ACTION_COUNT = '5';
  const m = await startMoto();
  delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
  const iam = async (params: Record<string, string>) => {
    const r = await fetch(`${m.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0' }, body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString() });
    return r.text();
  };
  const g = new GlueClient({ region: 'us-east-1', endpoint: m.url, credentials: { ...MOTO_CREDENTIALS } });
  await g.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'secure' } }));
  console.log(await iam({ Action: 'CreateUser', UserName: 'analyst' }));
  console.log(await iam({ Action: 'PutUserPolicy', UserName: 'analyst', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['glue:GetDatabases'], Resource: '*' }, { Effect: 'Deny', Action: ['glue:GetTables'], Resource: '*' }] }) }));
  const key = await iam({ Action: 'CreateAccessKey', UserName: 'analyst' });
  console.log(key);
  const accessKeyId = /<AccessKeyId>([^<]+)</.exec(key)![1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(key)![1];
  const g2 = new GlueClient({ region: 'us-east-1', endpoint: m.url, credentials: { accessKeyId, secretAccessKey } });
  console.log(await g2.send(new GetDatabasesCommand({})));
  try { console.log(await g2.send(new GetTablesCommand({ DatabaseName: 'secure' }))); } catch (e) { console.log('ERR', (e as Error).name, (e as Error).message, (e as any).$metadata); }
  g.destroy(); g2.destroy(); await m.stop();
}, 60000);
