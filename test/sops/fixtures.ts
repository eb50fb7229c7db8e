// Plaintext fixtures for the interop matrix. CANARY marks values that must never show up in errors.
export const CANARY = "canary-7f3a9c-do-not-print";

export const ALL_TYPES_YAML = `# head comment
sopsync: 1
target:
  region: eu-west-1 # where
  account: "123456789012"
secrets:
  prod/db:
    description: Primary database
    value:
      username: app
      password: ${CANARY}
      port: 5432
      ratio: 0.25
      huge: 9223372036854775807
      negative: -42
      exp: 1.5e3
      tiny: 0.000001
      enabled: true
      disabled: false
      when: 2024-01-02
      stamp: 2024-03-04T05:06:07.5+02:00
      nothing: null
      empty: ""
      quoted_number: "5432"
      "2024": numeric-looking key
      unicode: "héllo wörld ✓ 日本語 🎉"
  prod/tls-key:
    binary: |
      -----BEGIN PRIVATE KEY-----
      MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7
      ${CANARY}
      -----END PRIVATE KEY-----
list_of_maps:
  # a comment in a list
  - name: first
    token: t1
  - name: second
    token: t2
    nested: [1, two, 3.5]
plain_list: [a, b, c]
empty_map: {}
empty_list: []
deep:
  level1:
    level2:
      level3: bottom
notes_unencrypted: readable
`;

export const MANIFEST_YAML = `sopsync: 1
target:
  region: eu-west-1
scope:
  id: platform-prod
secrets:
  prod/db:
    description: Primary database
    value:
      username: app
      password: ${CANARY}
      port: 5432
    tags: { tier: data }
  prod/api-token:
    value: abc123
  prod/tls:
    binary: TFMwdExTMUNSVWRKVGk=
`;

export const JSON_DOC = JSON.stringify(
  {
    name: "svc",
    port: 8080,
    ratio: 1.5,
    big: 12345678901234,
    flag: false,
    none: null,
    items: [1, "two", { three: 3 }],
    nested: { secret: CANARY, "2024": "year", unicode: "ünïcödé" },
    empty: "",
    obj: {},
  },
  null,
  2,
);

export const COMMENT_RULES_YAML = `# sops:enc
secret: ${CANARY}
public: hello
group:
  # sops:enc
  inner: hidden
  open: visible
`;

export const MULTI_DOC_YAML = `first: one
n: 1
---
second: two
list: [x, y]
---
third:
  deep: ${CANARY}
`;
