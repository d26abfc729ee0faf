"""What a written field of a creation template means for the pods or nodes made after it.

A PriorityClass, a Karpenter NodePool or EC2NodeClass, an AKSNodeClass, a Cluster API MachineDeployment, a
cloud node group: none of them touches what already runs. Their fields are read once, when a pod is admitted
or a node is launched, so a write to them shows only on what is created afterwards. Saying what the field
decides for those new objects is what turns "a template was edited" into a cause: the security groups a new
node gets decide what it may connect to, the capacity type whether the cloud may reclaim it, the default
priority whether a new pod can preempt anything.

Pure: a field path in, a sentence (or "") out. The words are the fields' documented semantics (Kubernetes
scheduling, Karpenter's NodePool and NodeClass references, Cluster API), not any scenario's.
"""

from __future__ import annotations

import re

NODE_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"securitygroup|networksecuritygroup|firewall|network_?tags", re.I),
     "nodes launched since get only the security groups these select, and a database or service whose inbound "
     "rule admits the old node group times their connections out"),
    (re.compile(r"subnet|vnet|zone", re.I),
     "nodes launched since land in the subnets these select, whose routes, NAT and network ACLs then apply to their "
     "pods"),
    (re.compile(r"capacity-?type|capacitytype|spot|preemptible|lifecycle|scalesetpriority", re.I),
     "nodes launched since may be spot (interruptible) capacity, which the cloud reclaims on a two-minute "
     "interruption notice: their pods are evicted each time, a single replica goes down with them"),
    (re.compile(r"ami|image|alias|osimage|ossku|family", re.I),
     "nodes launched since boot another OS image (kernel, cgroup version, runtime)"),
    (re.compile(r"userdata|kubelet|bootstrap", re.I),
     "nodes launched since boot with this bootstrap script or kubelet configuration"),
    (re.compile(r"role|instanceprofile|iam|serviceaccount", re.I),
     "nodes launched since carry another IAM role, which decides what the node and pods using its credentials may "
     "call"),
    (re.compile(r"disruption|consolidat|expire", re.I),
     "the nodes this pool made are removed more eagerly (consolidation or expiry), evicting their pods"),
    (re.compile(r"requirements|instance-?type|arch", re.I),
     "nodes launched since are of the instance types, architectures or capacity these requirements admit"),
    (re.compile(r"taint", re.I),
     "nodes launched since carry these taints: pods without the toleration are not placed on them"),
)
"""Node-template fields, most specific first, and what each decides for nodes launched after the write."""


def node_field(paths: list[str]) -> tuple[str, str]:
    """(the written field, what it means for new nodes) of the first path whose words a meaning names."""
    for pattern, meaning in NODE_FIELDS:
        for path in paths:
            if pattern.search(path):
                return path, meaning
    return (paths[0] if paths else ""), ""


def priority_meaning(field: str, name: str, value: int, global_default: bool) -> str:
    """What a PriorityClass write means for pods created after it (priority is resolved once, at admission)."""
    if "globaldefault" in field.lower() and global_default:
        text = (f"every pod created since without a priorityClassName gets priority {value} (globalDefault), and "
                f"preemption evicts only lower-priority pods: new pods cannot displace pods at {value} or above")
        if value < 0:
            text += " (a negative value is the placeholder pods' own, so they find no preemption victims)"
        return text
    return (f"pods created since that name {name} get priority {value} while pods admitted earlier keep the old "
            "value, so preemption ranks new and old pods differently")
