import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);
import{a as l,b as y,c as u,d as h}from"./chunk-OEN3IHO7.mjs";import"./chunk-MCMLLTKV.mjs";import{a as g,b as d}from"./chunk-ZV5VXGIP.mjs";import"./chunk-U7MFUSY2.mjs";import{a as $}from"./chunk-AIXCHXZ2.mjs";import"./chunk-M72SC67W.mjs";import{b as f}from"./chunk-U4JBG5CE.mjs";import"./chunk-NCMYSIKI.mjs";import{d as _}from"./chunk-UDQHU7QV.mjs";var S=_($(),1);import{access as k,writeFile as x}from"node:fs/promises";import{basename as w,dirname as R,join as E,resolve as N}from"node:path";var s="secrets.yaml",W="^secrets\\.yaml$",G="us-east-1";function O(e,r){return`sopsync: 1
target:
  region: ${r}
scope:
  id: ${e}
  prefix: ${e}/
secrets:
  # An example secret: replace it with yours (sopsync set secrets.yaml NAME [KEY]).
  ${e}/example:
    description: Example secret created by sopsync init
    value:
      username: example
      password: change-me
`}async function F(e){return k(e).then(()=>!0,()=>!1)}async function T(e){if(e.AWS_REGION)return{region:e.AWS_REGION,from:"from AWS_REGION"};if(e.AWS_DEFAULT_REGION)return{region:e.AWS_DEFAULT_REGION,from:"from AWS_DEFAULT_REGION"};let r=e.AWS_PROFILE||"default",{STSClient:t}=await import("./dist-es-M4N5YVIV.mjs"),n=new t({profile:r}),o=await n.config.region().catch(()=>{});return n.destroy(),o?{region:o,from:`from the region of AWS profile '${r}'`}:{region:G,from:`the default: no AWS_REGION, AWS_DEFAULT_REGION or region in AWS profile '${r}'`}}function v(e){return w(N(e)).toLowerCase().replace(/[^a-z0-9-]+/g,"-").replace(/^-+|-+$/g,"")||"app"}function P(e){let r=new S.Document({creation_rules:[e]});return r.commentBefore=` Which files sops and sopsync encrypt, for whom, and which fields (only value and binary).
 path_regex matches secrets.yaml in this folder only; add a rule for other manifests.`,r.toString()}async function L(e){let r=e.env??process.env,t=await h(e,r),n=E(e.dir,s),o=E(e.dir,".sops.yaml");for(let i of[n,o])if(await F(i))throw new f("USAGE",`${i} already exists; init never overwrites files`);let m=v(e.dir),{region:p,from:A}=await T(r),I=await y(O(m,p),s,t.keys),c=u(t.keys),a={path_regex:W,encrypted_regex:l};return t.keys[0]?.kind==="kms"?a.kms=c:a.age=c,await x(o,P(a),{flag:"wx"}).catch(i=>{throw g(o,i,!0)}),await d(n,I,{mode:420}),{manifest:n,config:o,key:c,keySource:t.source,region:p,regionSource:A,scopeId:m}}function C(e,r){let t=[[`sopsync edit ${s}`,"replace the example secret with yours"],["sopsync validate","check it, offline"],["sopsync plan","what would change in AWS"]];return`Created ${s} (encrypted, with one example secret) and .sops.yaml in ${R(e.manifest)}.

Inferred:
  target.region  ${e.region} (${e.regionSource})
                 to change: sopsync edit ${s} (or set AWS_REGION and run init in a new folder)
  scope.id       ${e.scopeId} (from the folder name '${r}'): the owner tag of every secret this manifest manages
  scope.prefix   ${e.scopeId}/ (from the folder name): secret names must start with it
                 to change either: sopsync edit ${s}, before the first apply
  encrypted for  ${e.key} (from ${e.keySource})
                 to change: edit the rule in .sops.yaml, then sopsync updatekeys ${s}

Next:
${t.map(([n,o])=>`  ${n.padEnd(27)}# ${o}`).join(`
`)}
`}function j(e,r){e.command("init").description("create an encrypted secrets.yaml and a .sops.yaml in the current directory").option("--age <recipients>","age recipient(s), comma-separated (default: SOPS_AGE_RECIPIENTS, else your age key's)").option("--kms <arn>","AWS KMS key ARN to encrypt for").action(async t=>{let n=process.cwd(),o=await L({dir:n,...t.age?{age:t.age}:{},...t.kms?{kms:t.kms}:{}});process.stdout.write(C(o,w(n))),r?.(0)})}export{s as MANIFEST_NAME,W as MANIFEST_PATH_REGEX,C as initReport,j as register,L as runInit};
