/**
 * The school's TLS: a school CA and the controller's certificate signed by it
 * (`tls init`, with the openssl command), or the school's own certificate, key
 * and CA checked to belong together (`tls import`). The controller serves MQTT
 * (and HTTPS) with the certificate; each device bundle carries only the CA
 * certificate, and the device trusts that CA and nothing else.
 */
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey, randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { isIP } from "node:net";
import { basename, dirname, join, resolve } from "node:path";

export const TLS_FILES = {
  caCert: "ca.pem",
  caKey: "ca.key",
  cert: "controller.pem",
  key: "controller.key",
} as const;

/** Where install-controller.sh puts the controller's certificate, key and CA. */
export const INSTALLED_TLS_DIR = "/etc/classcam/tls";

export class TlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsError";
  }
}

function openssl(args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile("openssl", args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        reject(
          new TlsError(
            missing
              ? "the openssl command is not installed (Debian: apt-get install openssl)"
              : `openssl ${args[0] ?? ""} failed: ${stderr.trim() || error.message}`,
          ),
        );
        return;
      }
      resolvePromise(stdout);
    });
  });
}

/** A host name (DNS) the certificate is for: letters, digits, hyphens and dots. */
export function hostProblem(host: string): string | null {
  if (isIP(host) !== 0) return `'${host}' is an IP address: give it with --ip`;
  if (
    !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(
      host,
    )
  ) {
    return `'${host}' is not a host name`;
  }
  return null;
}

export interface TlsInitOptions {
  out: string;
  hosts: string[];
  ips: string[];
  /** Shown in the certificates' subject, e.g. "Hilltop Academy". */
  school: string;
  /** Lifetime of the controller's certificate. */
  days: number;
  caDays: number;
}

/** The folder must be new (or empty): a CA is never written over. */
function freeFolder(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new TlsError(`${dir} already exists and is not empty; a school CA is never written over`);
  }
}

/** Writes into a hidden folder beside `out`, then renames it into place: all of it or nothing. */
async function intoFolder(out: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const target = resolve(out);
  freeFolder(target);
  mkdirSync(dirname(target), { recursive: true });
  const partial = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    await fill(partial);
    if (existsSync(target)) rmdirSync(target);
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

function subjectPart(text: string): string {
  // the characters openssl's -subj gives a meaning to
  return text.replace(/[/\\=+,]/g, " ").trim() || "School";
}

/** Creates the school CA and the controller's certificate in `options.out`. */
export async function tlsInit(options: TlsInitOptions): Promise<TlsSummary> {
  const school = subjectPart(options.school);
  const names = [...options.hosts.map((h) => `DNS:${h}`), ...options.ips.map((ip) => `IP:${ip}`)];
  await intoFolder(options.out, async (dir) => {
    const serial = () =>
      `0x${randomBytes(16)
        .toString("hex")
        .replace(/^[89a-f]/, "1")}`;
    await openssl(
      ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", TLS_FILES.caKey],
      dir,
    );
    chmodSync(join(dir, TLS_FILES.caKey), 0o600);
    await openssl(
      [
        "req",
        "-x509",
        "-new",
        "-key",
        TLS_FILES.caKey,
        "-sha256",
        "-days",
        String(options.caDays),
        "-set_serial",
        serial(),
        "-subj",
        `/O=${school}/CN=${school} classcam CA`,
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-addext",
        "subjectKeyIdentifier=hash",
        "-out",
        TLS_FILES.caCert,
      ],
      dir,
    );
    await openssl(
      ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", TLS_FILES.key],
      dir,
    );
    chmodSync(join(dir, TLS_FILES.key), 0o600);
    const request = "controller.csr";
    const extensions = "controller.ext";
    await openssl(
      [
        "req",
        "-new",
        "-key",
        TLS_FILES.key,
        "-subj",
        `/O=${school}/CN=${options.hosts[0] ?? options.ips[0] ?? "controller"}`,
        "-out",
        request,
      ],
      dir,
    );
    writeFileSync(
      join(dir, extensions),
      [
        `subjectAltName=${names.join(",")}`,
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "authorityKeyIdentifier=keyid",
        "",
      ].join("\n"),
    );
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        TLS_FILES.caCert,
        "-CAkey",
        TLS_FILES.caKey,
        "-set_serial",
        serial(),
        "-days",
        String(options.days),
        "-sha256",
        "-extfile",
        extensions,
        "-out",
        TLS_FILES.cert,
      ],
      dir,
    );
    rmSync(join(dir, request));
    rmSync(join(dir, extensions));
    chmodSync(join(dir, TLS_FILES.caCert), 0o644);
    chmodSync(join(dir, TLS_FILES.cert), 0o644);
    chmodSync(dir, 0o700);
  });
  return summarise(resolve(options.out));
}

export interface TlsSummary {
  dir: string;
  /** What the controller's certificate is for (its subject alternative names). */
  names: string[];
  validTo: string;
  caSubject: string;
  caValidTo: string;
  /** Whether the folder holds the CA's private key (tls init) or not (tls import). */
  hasCaKey: boolean;
}

function summarise(dir: string): TlsSummary {
  const cert = new X509Certificate(readFileSync(join(dir, TLS_FILES.cert)));
  const ca = new X509Certificate(readFileSync(join(dir, TLS_FILES.caCert)));
  return {
    dir,
    names: (cert.subjectAltName ?? "").split(/,\s*/).filter((n) => n !== ""),
    validTo: new Date(cert.validTo).toISOString(),
    caSubject: ca.subject.replace(/\n/g, ", "),
    caValidTo: new Date(ca.validTo).toISOString(),
    hasCaKey: existsSync(join(dir, TLS_FILES.caKey)),
  };
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

/**
 * Checks the school's own certificate, key and CA belong together — the key
 * is the certificate's, the certificate chains to the CA, neither has expired,
 * it is for a server — and copies them into `out`.
 */
export async function tlsImport(options: {
  cert: string;
  key: string;
  ca: string;
  out: string;
}): Promise<TlsSummary> {
  const certPem = readPem("certificate", options.cert);
  const keyPem = readPem("key", options.key);
  const caPem = readPem("CA certificate", options.ca);
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new TlsError(`${options.cert} is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    ca = new X509Certificate(caPem);
  } catch (error) {
    throw new TlsError(`${options.ca} is not a PEM certificate: ${(error as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new TlsError(
      `${options.key} is not a PEM private key (or it is encrypted): ${(error as Error).message}`,
    );
  }
  const problems: string[] = [];
  if (!cert.checkPrivateKey(key)) problems.push(`${options.key} is not the key of ${options.cert}`);
  if (cert.ca) problems.push(`${options.cert} is a CA certificate, not the controller's`);
  if (!ca.ca) problems.push(`${options.ca} is not a CA certificate`);
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) problems.push(`${options.cert} expired on ${cert.validTo}`);
  if (Date.parse(cert.validFrom) > now)
    problems.push(`${options.cert} is not valid before ${cert.validFrom}`);
  if (Date.parse(ca.validTo) < now) problems.push(`${options.ca} expired on ${ca.validTo}`);
  if (cert.subjectAltName === undefined) {
    problems.push(`${options.cert} names no host (no subjectAltName): devices would refuse it`);
  }
  // the chain, as the devices will check it (the CA file may hold intermediates and the root)
  try {
    await openssl(
      ["verify", "-purpose", "sslserver", "-CAfile", resolve(options.ca), resolve(options.cert)],
      process.cwd(),
    );
  } catch (error) {
    problems.push(
      `${options.cert} does not chain to ${options.ca}: ${(error as Error).message.replace(/^openssl verify failed: /, "")}`,
    );
  }
  if (problems.length > 0) throw new TlsError(problems.join("; "));
  await intoFolder(options.out, (dir) => {
    copyFileSync(options.ca, join(dir, TLS_FILES.caCert));
    copyFileSync(options.cert, join(dir, TLS_FILES.cert));
    writeFileSync(join(dir, TLS_FILES.key), keyPem, { mode: 0o600 });
    chmodSync(join(dir, TLS_FILES.caCert), 0o644);
    chmodSync(join(dir, TLS_FILES.cert), 0o644);
    chmodSync(dir, 0o700);
    return Promise.resolve();
  });
  return summarise(resolve(options.out));
}

/** The controller config lines and the next steps, for the folder made by init or import. */
export function tlsInstructions(summary: TlsSummary, httpsSupported: boolean): string {
  const at = (file: string) => `${INSTALLED_TLS_DIR}/${file}`;
  const tls = (port: number) =>
    `{ "port": ${port}, "certFile": "${at(TLS_FILES.cert)}", "keyFile": "${at(TLS_FILES.key)}" }`;
  const lines = [
    `certificate for: ${summary.names.join(", ")} (valid until ${summary.validTo})`,
    `school CA: ${summary.caSubject} (valid until ${summary.caValidTo})`,
    "",
    `Install on the controller: install-controller.sh --tls ${summary.dir}`,
    `(copies ${TLS_FILES.cert}, ${TLS_FILES.key} and ${TLS_FILES.caCert} to ${INSTALLED_TLS_DIR}, key readable by classcam only)`,
    "and use them in /etc/classcam/controller.json:",
    `  "mqtt": { "tls": ${tls(8883)} }`,
  ];
  if (httpsSupported)
    lines.push(
      `  "http": { "tls": { "certFile": "${at(TLS_FILES.cert)}", "keyFile": "${at(TLS_FILES.key)}" } }`,
    );
  lines.push(
    "",
    `Enrol devices with --ca ${join(summary.dir, TLS_FILES.caCert)} and an mqtts:// address:`,
    "each bundle carries the CA certificate only, and the device trusts nothing else.",
  );
  if (summary.hasCaKey) {
    lines.push(
      "",
      `${join(summary.dir, TLS_FILES.caKey)} signs certificates the devices will trust:`,
      "keep it offline (not on the controller), readable by you only.",
    );
  }
  return lines.join("\n");
}
