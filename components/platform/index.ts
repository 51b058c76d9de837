// The platforms by cloud: a Region picks its own and never looks at the cloud again.

import { Cloud } from "../../topology/catalog";
import { awsPlatform } from "./aws";
import { gcpPlatform } from "./gcp";
import { Platform } from "./types";

export const PLATFORMS: Readonly<Record<Cloud, Platform>> = { aws: awsPlatform, gcp: gcpPlatform };
