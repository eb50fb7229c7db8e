// A rotation function in moto's own Lambda: RotateSecret with a RotationLambdaARN needs the function to
// exist. It is never run (that needs Docker): tests play the rotation by writing a new AWSCURRENT.
import { crc32 } from "node:zlib";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { TEST_REGION } from "./moto.js";

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** Creates a function `name` (Python, a handler that does nothing) and returns its ARN. */
export async function createRotationFunction(endpoint: string, name: string): Promise<string> {
  const common = { endpoint, region: TEST_REGION, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  const iam = new IAMClient(common);
  const role = await iam.send(new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: TRUST }));
  const lambda = new LambdaClient(common);
  const fn = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "python3.12",
      Role: role.Role?.Arn,
      Handler: "index.handler",
      Code: { ZipFile: storedZip("index.py", "def handler(event, context):\n    return None\n") },
    }),
  );
  if (!fn.FunctionArn) throw new Error("CreateFunction returned no FunctionArn");
  return fn.FunctionArn;
}

/** A zip archive holding one uncompressed file: all a function's code needs to be. */
function storedZip(fileName: string, text: string): Uint8Array {
  const name = Buffer.from(fileName);
  const data = Buffer.from(text);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralAt = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
