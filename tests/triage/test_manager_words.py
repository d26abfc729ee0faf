"""A kubectl verb's field manager reads as the command run; other managers stay as recorded."""

from agent.triage import field_meaning, manager_words


def test_kubectl_verbs_read_as_the_command_run() -> None:
    assert manager_words.spoken("kubectl-edit") == "kubectl edit (manager kubectl-edit)"
    assert manager_words.spoken("kubectl-patch") == "kubectl patch (manager kubectl-patch)"
    assert manager_words.spoken("kubectl-annotate") == "kubectl annotate (manager kubectl-annotate)"
    assert manager_words.command("kubectl-client-side-apply") == "kubectl apply"


def test_managers_without_a_command_line_are_left_as_recorded() -> None:
    for manager in ("kubectl", "kube-controller-manager", "argocd-controller", "kubectl-frobnicate",
                    "helm", "terraform-provider-kubernetes", ""):
        assert manager_words.command(manager) == ""
        assert manager_words.spoken(manager) == manager


def test_the_shared_product_rendering_names_the_command() -> None:
    assert field_meaning.product("kubectl-scale") == "kubectl scale (manager kubectl-scale)"
    assert field_meaning.product("argocd-controller") == "Argo CD (argocd-controller)"
    assert field_meaning.product("kubectl") == "kubectl"
