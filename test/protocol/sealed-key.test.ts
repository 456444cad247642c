// A recording's content key sealed to the controller (protocol's sealed-key):
// only the controller's private key opens it, only for the recording it was
// sealed for, and any change to the sealed text is refused.
import t from "tap";
import {
  newContentKey,
  newSealingKeyPair,
  openContentKey,
  sealContentKey,
  sealedKeyId,
  sealingKeyId,
  sealingKeyPair,
  sealingPublicKeyProblem,
  SEALED_KEY_MAX_LENGTH,
  SEALED_KEY_PATTERN,
} from "@classcam/protocol";

const RECORDING = "0b9b0a5e-4f3e-4a53-9d1e-7a8c5b1e2f30";

void t.test("the controller opens what a box sealed to its public key", async (t) => {
  const pair = newSealingKeyPair();
  const content = newContentKey();
  const sealed = sealContentKey(content, pair.publicKey, RECORDING);
  t.match(sealed, new RegExp(SEALED_KEY_PATTERN), "the sealed text has the documented shape");
  t.ok(sealed.length <= SEALED_KEY_MAX_LENGTH);
  t.equal(sealedKeyId(sealed), pair.keyId, "it names the key that opens it");
  t.equal(sealingKeyId(pair.publicKey), pair.keyId);
  t.notOk(sealed.includes(content.key.toString("base64url")), "the key is not in the sealed text");
  const opened = openContentKey(sealed, pair, RECORDING);
  t.same(opened.key, content.key);
  t.equal(content.iv, null, "a box's key has no IV of its own: each segment's is its number");
  t.equal(opened.iv, null);
  t.match(sealed, /^v2\./, "sealed as version 2: the key alone");
  t.not(sealContentKey(content, pair.publicKey, RECORDING), sealed, "each sealing is fresh");
});

void t.test("a key with one IV for every segment (version 1) opens with that IV", async (t) => {
  const pair = newSealingKeyPair();
  const content = newContentKey("one");
  t.equal(content.iv?.length, 16);
  const sealed = sealContentKey(content, pair.publicKey, RECORDING);
  t.match(sealed, /^v1\./);
  t.match(sealed, new RegExp(SEALED_KEY_PATTERN));
  const opened = openContentKey(sealed, pair, RECORDING);
  t.same(opened.key, content.key);
  t.same(opened.iv, content.iv);
  // the version is bound into the sealing: relabelled, it does not open
  t.throws(() => openContentKey(`v2${sealed.slice(2)}`, pair, RECORDING), /five parts|altered/);
});

void t.test("the pair is the same when read back from its PEM file", async (t) => {
  const pair = newSealingKeyPair();
  const pem = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const again = sealingKeyPair(pem);
  t.equal(again.publicKey, pair.publicKey);
  t.equal(again.keyId, pair.keyId);
});

void t.test("refusals, each saying why", async (t) => {
  const pair = newSealingKeyPair();
  const other = newSealingKeyPair();
  const sealed = sealContentKey(newContentKey(), pair.publicKey, RECORDING);
  const parts = sealed.split(".");
  const flip = (text: string) => {
    const bytes = Buffer.from(text, "base64url");
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    return bytes.toString("base64url");
  };
  const cases: [string, () => unknown, RegExp][] = [
    ["another controller's key", () => openContentKey(sealed, other, RECORDING), /sealed to key/],
    ["another recording", () => openContentKey(sealed, pair, "another"), /altered, or belongs/],
    [
      "a changed byte of the sealed key",
      () => openContentKey([...parts.slice(0, 4), flip(parts[4] ?? "")].join("."), pair, RECORDING),
      /altered/,
    ],
    [
      "a changed ephemeral key",
      () =>
        openContentKey(
          [...parts.slice(0, 2), flip(parts[2] ?? ""), ...parts.slice(3)].join("."),
          pair,
          RECORDING,
        ),
      /altered/,
    ],
    [
      "another version",
      () => openContentKey(`v3${sealed.slice(2)}`, pair, RECORDING),
      /no version known here/,
    ],
    [
      "a part missing",
      () => openContentKey(parts.slice(0, 4).join("."), pair, RECORDING),
      /five parts/,
    ],
    ["a bad public key", () => sealContentKey(newContentKey(), "rsa:abc", RECORDING), /x25519:/],
    [
      "a short content key",
      () =>
        sealContentKey({ key: Buffer.alloc(8), iv: Buffer.alloc(16) }, pair.publicKey, RECORDING),
      /16 bytes each/,
    ],
  ];
  for (const [name, run, message] of cases) t.throws(run, message, name);
  t.equal(sealingPublicKeyProblem(pair.publicKey), null);
  t.match(sealingPublicKeyProblem("x25519:short"), /43 base64url/);
});
