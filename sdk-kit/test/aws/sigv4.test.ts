// Vectors: AWS's SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case; credentials AKIDEXAMPLE,
// 2015-08-30T12:36:00Z, region us-east-1, service "service"), and the worked examples of
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (examplebucket, 2013-05-24).
import { awsError, signAwsRequest } from '../../src/aws/index.js';
import { verifyAwsSignature } from '../../src/testing/index.js';
import { classifyError } from '../../src/index.js';

const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const S3_DOCS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const SUITE_TIME = new Date('2015-08-30T12:36:00Z');
const S3_TIME = new Date('2013-05-24T00:00:00Z');
const signatureOf = (headers: Record<string, string>) => /Signature=([0-9a-f]+)/.exec(headers.authorization!)?.[1];

test('signs the AWS test-suite requests to the published signatures', () => {
  const vanilla = signAwsRequest({ method: 'GET', url: 'https://example.amazonaws.com/', service: 'service', region: 'us-east-1' }, SUITE, SUITE_TIME);
  expect(vanilla.authorization).toBe(
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  );
  expect(vanilla).toMatchObject({ host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' });
  const query = signAwsRequest(
    { method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1', service: 'service', region: 'us-east-1' },
    SUITE,
    SUITE_TIME,
  );
  expect(signatureOf(query)).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
});

test("signs the S3 documentation's PUT Object example, body hash included", () => {
  const headers = signAwsRequest(
    {
      method: 'PUT',
      url: 'https://examplebucket.s3.amazonaws.com/test%24file.text',
      headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      body: 'Welcome to Amazon S3.',
      service: 's3',
      region: 'us-east-1',
    },
    S3_DOCS,
    S3_TIME,
  );
  expect(headers['x-amz-content-sha256']).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  expect(headers.authorization).toContain('SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,');
  expect(signatureOf(headers)).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
});

test('temporary credentials send and sign the session token', () => {
  const headers = signAwsRequest(
    { method: 'POST', url: 'https://redshift-data.eu-west-1.amazonaws.com/', body: '{}', service: 'redshift-data', region: 'eu-west-1' },
    {
      ...SUITE,
      sessionToken: 'session-token-value',
    },
  );
  expect(headers['x-amz-security-token']).toBe('session-token-value');
  expect(headers.authorization).toMatch(/SignedHeaders=host;x-amz-date;x-amz-security-token,/);
});

describe('verifyAwsSignature (an implementation independent of the signer)', () => {
  test('accepts the published examples and refuses them changed', () => {
    const getObject = {
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/test.txt',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date': '20130524T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      },
    };
    const secrets = { [S3_DOCS.accessKeyId]: S3_DOCS.secretAccessKey, [SUITE.accessKeyId]: SUITE.secretAccessKey };
    expect(verifyAwsSignature(getObject, secrets)).toBeUndefined();
    expect(verifyAwsSignature({ ...getObject, headers: { ...getObject.headers, range: 'bytes=0-10' } }, secrets)).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(verifyAwsSignature(getObject, { other: 'x' })).toMatchObject({ code: 'InvalidAccessKeyId' });
    expect(verifyAwsSignature({ ...getObject, bytes: Buffer.from('not empty') }, secrets)).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });

    const vanilla = {
      method: 'GET',
      url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      },
    };
    expect(verifyAwsSignature(vanilla, secrets)).toBeUndefined();
    expect(verifyAwsSignature({ ...vanilla, url: 'https://example.amazonaws.com/?Param2=value2' }, secrets)).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  test('agrees with the signer on S3 keys with reserved characters and on JSON-protocol posts', () => {
    const secrets = { [SUITE.accessKeyId]: SUITE.secretAccessKey };
    const put = {
      method: 'PUT',
      url: 'http://127.0.0.1:9000/bucket/events/web%20app/2026/12/04/18/a%2Bb%24.jsonl.gz',
      body: Buffer.from([0x1f, 0x8b, 0, 1, 2]),
    };
    const s3 = signAwsRequest({ ...put, headers: { 'content-type': 'application/gzip' }, service: 's3', region: 'us-east-1' }, SUITE);
    expect(verifyAwsSignature({ ...put, headers: s3, bytes: put.body }, secrets)).toBeUndefined();
    const post = { method: 'POST', url: 'https://redshift-data.us-east-1.amazonaws.com/', body: '{"Sql":"SELECT 1"}' };
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'RedshiftData.ExecuteStatement' };
    const json = signAwsRequest({ ...post, headers, service: 'redshift-data', region: 'us-east-1' }, SUITE);
    expect(verifyAwsSignature({ ...post, headers: json, bytes: Buffer.from(post.body) }, secrets)).toBeUndefined();
    expect(verifyAwsSignature({ ...post, headers: json, bytes: Buffer.from('{"Sql":"DROP TABLE x"}') }, secrets)).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });
});

describe('awsError', () => {
  const failure = (statusCode: number, body: string, headers: Record<string, string> = {}) => ({ response: { statusCode, headers, body } });
  test('reads S3 XML and JSON-protocol errors into the retry contract', () => {
    const slowDown = failure(503, '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    expect(classifyError(awsError(slowDown, 'PutObject'))).toMatchObject({ status: 'rate_limited', code: 'AWS_SlowDown', httpStatus: 503 });
    const denied = failure(403, '<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>');
    expect(classifyError(awsError(denied, 'PutObject'))).toMatchObject({ status: 'authentication', code: 'AWS_SignatureDoesNotMatch' });
    const bucket = failure(404, '<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>');
    expect(classifyError(awsError(bucket, 'PutObject'))).toMatchObject({ status: 'permanent', message: expect.stringContaining('NoSuchBucket') });
    const throttled = failure(400, '{"__type":"ThrottlingException","message":"Rate exceeded"}');
    expect(classifyError(awsError(throttled, 'ExecuteStatement'))).toMatchObject({ status: 'rate_limited', code: 'AWS_ThrottlingException' });
    const unknownKey = failure(400, '{"message":"The security token included in the request is invalid."}', {
      'x-amzn-errortype': 'UnrecognizedClientException:http://internal.amazon.com/',
    });
    expect(classifyError(awsError(unknownKey, 'ExecuteStatement'))).toMatchObject({ status: 'authentication', code: 'AWS_UnrecognizedClientException' });
    const invalid = failure(400, '{"__type":"com.amazonaws.redshiftdata#ValidationException","message":"Sql is required"}');
    expect(classifyError(awsError(invalid, 'ExecuteStatement'))).toMatchObject({
      status: 'permanent',
      message: expect.stringContaining('ValidationException (Sql is required)'),
    });
    expect(classifyError(awsError(failure(500, '{"__type":"InternalServerException"}'), 'x'))).toMatchObject({ status: 'retryable' });
  });
});

describe('callAwsJson', () => {
  test('posts a signed JSON-protocol request and maps an error answer', async () => {
    const { default: nock } = await import('nock');
    const { got } = await import('got');
    const { callAwsJson } = await import('../../src/aws/index.js');
    const service = {
      endpoint: 'https://dynamodb.us-east-1.amazonaws.com/',
      service: 'dynamodb',
      region: 'us-east-1',
      targetPrefix: 'DynamoDB_20120810',
      credentials: SUITE,
      jsonVersion: '1.0' as const,
    };
    const seen: Array<{ headers: Record<string, string>; body: string }> = [];
    const scope = nock('https://dynamodb.us-east-1.amazonaws.com')
      .post('/')
      .times(2)
      .reply(function reply(_path, body) {
        const headers = Object.fromEntries(Object.entries(this.req.headers).map(([k, v]) => [k, String(v)]));
        seen.push({ headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
        return seen.length === 1
          ? [200, { TableNames: ['events'] }]
          : [400, { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow down' }];
      });
    try {
      await expect(callAwsJson(got, service, 'ListTables', { Limit: 1 })).resolves.toEqual({ TableNames: ['events'] });
      expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' });
      const url = 'https://dynamodb.us-east-1.amazonaws.com/';
      expect(
        verifyAwsSignature(
          { method: 'POST', url, headers: seen[0]!.headers, bytes: Buffer.from(seen[0]!.body) },
          { [SUITE.accessKeyId]: SUITE.secretAccessKey },
        ),
      ).toBeUndefined();
      const failure = await callAwsJson(got, service, 'ListTables', {}).catch((error: unknown) => error);
      expect(classifyError(failure)).toMatchObject({ status: 'rate_limited', code: 'AWS_ThrottlingException' });
    } finally {
      scope.persist(false);
      nock.cleanAll();
    }
  });
});
