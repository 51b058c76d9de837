// Every policy of the pack, in one list: index.ts serves it, the offline plan evaluates it.

import { Policies } from "@pulumi/policy";
import { disallowPublicAccess } from "./database/disallowPublicAccess";
import { enforceBackups } from "./database/enforceBackups";
import { enforceReplicationTls } from "./database/enforceReplicationTls";
import { limitSlotRetention } from "./database/limitSlotRetention";
import { limitIntrospectionTtl } from "./cache/limitIntrospectionTtl";
import { enforceGeoCoverage } from "./edge/enforceGeoCoverage";
import { enforceHealthMonitor } from "./edge/enforceHealthMonitor";
import { limitMonitorInterval } from "./edge/limitMonitorInterval";
import { disallowSshFromInternet } from "./region/disallowSshFromInternet";
import { enforceSingleKeySource } from "./secrets/enforceSingleKeySource";
import { disallowMultiMaster } from "./topology/disallowMultiMaster";
import { enforceResidency } from "./topology/enforceResidency";
import { enforceSingleWriter } from "./topology/enforceSingleWriter";

export const PACK_NAME = "olympus";

export const policies: Policies = [
    enforceSingleWriter,
    disallowMultiMaster,
    enforceResidency,
    disallowPublicAccess,
    enforceSingleKeySource,
    disallowSshFromInternet,
    enforceReplicationTls,
    enforceBackups,
    limitSlotRetention,
    enforceHealthMonitor,
    enforceGeoCoverage,
    limitMonitorInterval,
    limitIntrospectionTtl,
];
