import { createSign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface SignerOptions {
  /** Where a generated key and certificate are kept between restarts. */
  dir: string;
  processorDomain: string;
  /** PEM files of a CA-issued certificate and its key; the OpenDSR spec asks for one in production. */
  certificateFile?: string;
  privateKeyFile?: string;
}

/**
 * Signs OpenDSR responses and status callbacks with RSA-SHA256 (base64). Without a configured certificate
 * it generates a self-signed one on first start, which is fine for testing but not what the spec asks of
 * a production processor.
 */
export class DsrSigner {
  private constructor(
    readonly certificatePem: string,
    private readonly privateKeyPem: string,
    readonly processorDomain: string,
  ) {}

  static async load(options: SignerOptions): Promise<DsrSigner> {
    if (options.certificateFile && options.privateKeyFile) {
      return new DsrSigner(readFileSync(options.certificateFile, 'utf8'), readFileSync(options.privateKeyFile, 'utf8'), options.processorDomain);
    }
    const certFile = join(options.dir, 'certificate.pem');
    const keyFile = join(options.dir, 'private-key.pem');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(options.dir, { recursive: true });
      const pems = await generate([{ name: 'commonName', value: options.processorDomain }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000),
      });
      writeFileSync(keyFile, pems.private, { mode: 0o600 });
      writeFileSync(certFile, pems.cert);
    }
    return new DsrSigner(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), options.processorDomain);
  }

  sign(rawBody: string): string {
    return createSign('RSA-SHA256').update(rawBody, 'utf8').sign(this.privateKeyPem, 'base64');
  }

  /** Headers that make a body verifiable against the served certificate. */
  headersFor(rawBody: string): Record<string, string> {
    return { 'x-opendsr-signature': this.sign(rawBody), 'x-opendsr-processor-domain': this.processorDomain };
  }

  get publicKey() {
    return new X509Certificate(this.certificatePem).publicKey;
  }
}
