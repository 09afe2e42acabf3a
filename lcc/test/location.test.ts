import {
  formatLocation,
  LocationError,
  parseLocation
} from '../src/repository/location';

describe('parseLocation', () => {
  it('splits an s3 URL into bucket and normalised prefix', () => {
    expect(parseLocation('s3://my-bucket/studio//alice/space-1/')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'studio/alice/space-1'
    });
    expect(parseLocation('s3://my-bucket')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: ''
    });
  });

  it('accepts file URLs and plain paths', () => {
    expect(parseLocation('file:///tmp/repo/')).toEqual({
      kind: 'file',
      path: '/tmp/repo'
    });
    expect(parseLocation('/var/tmp/repo')).toEqual({
      kind: 'file',
      path: '/var/tmp/repo'
    });
    expect(parseLocation('rel/dir')).toEqual({
      kind: 'file',
      path: `${process.cwd()}/rel/dir`
    });
  });

  it.each([
    ['', /No repository given/],
    ['s3://Bad_Bucket/x', /not a valid S3 bucket name/],
    ['s3://bucket/a/../b', /"\." or "\.\." segments/],
    ['gs://bucket/x', /Unsupported repository scheme/],
    ['file://remote-host/dir', /not a valid file URL/]
  ])('rejects %j with a one-line message', (text, message) => {
    expect(() => parseLocation(text)).toThrow(LocationError);
    expect(() => parseLocation(text)).toThrow(message);
  });

  it('formats a location back into the URL users see', () => {
    expect(formatLocation(parseLocation('s3://b-1/p/q/'))).toBe('s3://b-1/p/q');
    expect(formatLocation(parseLocation('s3://b-1'))).toBe('s3://b-1');
    expect(formatLocation(parseLocation('/tmp/my repo'))).toBe(
      'file:///tmp/my%20repo'
    );
  });
});
