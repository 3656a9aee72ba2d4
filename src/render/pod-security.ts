/**
 * The container security context of the Pod Security Standards' `restricted` profile
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted): non-root, no
 * privilege escalation, every capability dropped, the runtime's default seccomp profile; plus a
 * read-only root file system and no privileged mode. The services' containers and the Cloud SQL
 * Auth Proxy sidecar run in namespaces that enforce `restricted`, so both take it.
 */
export function restrictedContainerSecurityContext() {
  return {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" as const },
  };
}
