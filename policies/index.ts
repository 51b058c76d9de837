// The Olympus policy pack, as the Pulumi CLI runs it: `pulumi preview --policy-pack policies`.
// Constructing a PolicyPack starts the analyzer's gRPC server, so nothing else may live here.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies });
