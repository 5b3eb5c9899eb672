"""Linear algebra (issue 14): mm/bmm/matmul over every rank combination, with a constant operand,
addmm, baddbmm, addbmm, einsum for the common contractions, and their relatives."""
from _cases import c

PREFIX = "la"
W45 = "self.w = nn.Parameter(torch.randn(4, 5))"

CASES = [
    # matmul over rank combinations (two inputs)
    c("matmul_1d_1d", "torch.matmul(x, y)", [[4], [4]]),
    c("matmul_1d_2d", "x @ y", [[4], [4, 5]]),
    c("matmul_2d_1d", "x @ y", [[3, 4], [4]]),
    c("matmul_2d_2d", "torch.matmul(x, y)", [[3, 4], [4, 5]]),
    c("matmul_3d_3d", "x @ y", [[2, 3, 4], [2, 4, 5]]),
    c("matmul_3d_2d", "x @ y", [[2, 3, 4], [4, 5]]),
    c("matmul_2d_3d", "x @ y", [[3, 4], [2, 4, 5]]),
    c("matmul_3d_1d", "x @ y", [[2, 3, 4], [4]]),
    c("matmul_1d_3d", "x @ y", [[4], [2, 4, 5]]),
    c("matmul_4d_4d", "x @ y", [[2, 2, 3, 4], [2, 2, 4, 5]]),
    c("matmul_4d_2d", "x @ y", [[2, 2, 3, 4], [4, 5]]),
    c("matmul_4d_3d_broadcast", "x @ y", [[2, 1, 3, 4], [3, 4, 5]]),
    c("matmul_batch_broadcast_1", "x @ y", [[1, 3, 4], [2, 4, 5]]),
    c("matmul_self_transpose", "x @ x.transpose(-2, -1)", [[2, 3, 4]]),
    c("mm", "torch.mm(x, y)", [[3, 4], [4, 5]]),
    c("bmm", "torch.bmm(x, y)", [[2, 3, 4], [2, 4, 5]]),
    c("mv", "torch.mv(x, y)", [[3, 4], [4]]),
    c("dot", "torch.dot(x, y)", [[4], [4]]),
    c("outer", "torch.outer(x, y)", [[3], [4]]),
    # a constant (parameter) operand
    c("mm_constant_right", "torch.mm(x, self.w)", [[3, 4]], init=W45),
    c("matmul_constant_right_3d", "x @ self.w", [[2, 3, 4]], init=W45),
    c("matmul_constant_left", "self.w @ x", [[2, 5, 3]], init=W45),
    c("matmul_constant_right_4d", "torch.matmul(x, self.w)", [[2, 2, 3, 4]], init=W45),
    c("bmm_constant", "torch.bmm(x, self.w)", [[2, 3, 4]], init="self.w = nn.Parameter(torch.randn(2, 4, 5))"),
    c("matmul_buffer_right", "x @ self.w", [[2, 3, 4]], init="self.register_buffer('w', torch.randn(4, 2))"),
    c("linear_functional", "F.linear(x, self.w.t(), self.b)", [[2, 3, 4]], init=W45 + "; self.b = nn.Parameter(torch.randn(5))"),
    c("linear_functional_no_bias", "F.linear(x, self.w)", [[2, 5]], init=W45),
    # addmm / baddbmm / addbmm
    c("addmm", "torch.addmm(self.b, x, self.w)", [[3, 4]], init=W45 + "; self.b = nn.Parameter(torch.randn(5))"),
    c("addmm_alpha_beta", "torch.addmm(z, x, y, beta=0.5, alpha=2.0)", [[3, 4], [4, 5], [3, 5]]),
    c("addmm_inputs", "torch.addmm(z, x, y)", [[3, 4], [4, 5], [1, 5]]),
    c("baddbmm", "torch.baddbmm(z, x, y)", [[2, 3, 4], [2, 4, 5], [2, 3, 5]]),
    c("baddbmm_alpha_beta", "torch.baddbmm(z, x, y, beta=0.5, alpha=0.25)", [[2, 3, 4], [2, 4, 5], [1, 3, 5]]),
    c("addbmm", "torch.addbmm(z, x, y)", [[2, 3, 4], [2, 4, 5], [3, 5]]),
    c("addbmm_alpha_beta", "torch.addbmm(z, x, y, beta=2.0, alpha=0.5)", [[2, 3, 4], [2, 4, 5], [3, 5]]),
    c("addmv", "torch.addmv(z, x, y)", [[3, 4], [4], [3]]),
    # einsum
    c("einsum_bmm", "torch.einsum('bij,bjk->bik', x, y)", [[2, 3, 4], [2, 4, 5]]),
    c("einsum_mm", "torch.einsum('ij,jk->ik', x, y)", [[3, 4], [4, 5]]),
    c("einsum_attention_scores", "torch.einsum('bhqd,bhkd->bhqk', x, y)", [[2, 2, 3, 4], [2, 2, 5, 4]]),
    c("einsum_attention_values", "torch.einsum('bhqk,bhkd->bhqd', x, y)", [[2, 2, 3, 5], [2, 2, 5, 4]]),
    # attention heads (LeViT): one projection viewed as heads and split into q, k, v, each permuted
    # (k to [B, H, D, N]), then the heads merged back: the TFLite file transposes the projection
    # once for all three (src/tflite/lower/transposes.ts) and once for the merge
    c("attention_head_split",
      "B, N, C = x.shape\n"
      "q, k, v = self.qkv(x).view(B, N, 2, -1).split([4, 4, 6], dim=3)\n"
      "q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1), v.permute(0, 2, 1, 3)\n"
      "return ((q @ k * 0.5).softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, 12)",
      [[2, 5, 16]], init="self.qkv = nn.Linear(16, 28)"),
    c("einsum_rowwise_dot", "torch.einsum('bi,bi->b', x, y)", [[2, 4], [2, 4]]),
    c("einsum_transpose", "torch.einsum('bij->bji', x)", [[2, 3, 4]]),
    c("einsum_permute_nhwc", "torch.einsum('bchw->bhwc', x)", [[2, 3, 4, 4]]),
    c("einsum_constant_projection", "torch.einsum('bnd,de->bne', x, self.w)", [[2, 3, 4]], init=W45),
    c("einsum_outer", "torch.einsum('i,j->ij', x, y)", [[3], [4]]),
    c("einsum_sum_all_but_batch", "torch.einsum('bij->b', x)", [[2, 3, 4]]),
    c("einsum_ellipsis", "torch.einsum('...ij,...jk->...ik', x, y)", [[2, 3, 4], [2, 4, 5]]),
    c("einsum_channel_mix", "torch.einsum('bchw,oc->bohw', x, self.w)", [[2, 4, 3, 3]], init=W45 + "; self.w.data = self.w.data.t().contiguous()"),
    c("einsum_trace", "torch.einsum('bii->b', x)", [[2, 4, 4]]),
    c("einsum_trace_2d", "torch.einsum('ii->', x)", [[4, 4]]),
    c("einsum_diagonal", "torch.einsum('ii->i', x)", [[4, 4]]),
    c("einsum_batch_diagonal", "torch.einsum('bii->bi', x)", [[2, 4, 4]]),
    c("einsum_diagonal_weighted", "torch.einsum('bii,bi->bi', x, y)", [[2, 4, 4], [2, 4]]),
    # diagonal / trace
    c("diagonal_2d", "torch.diagonal(x)", [[4, 4]]),
    c("diagonal_offset_last_two", "x.diagonal(offset=1, dim1=-2, dim2=-1)", [[2, 3, 4]]),
    c("diagonal_negative_offset", "torch.diagonal(x, -1, 1, 2) * 2", [[2, 4, 3]]),
    c("diagonal_dims_swapped", "torch.diagonal(x, 0, 2, 1)", [[2, 3, 4]]),
    c("trace", "torch.trace(x) * 2", [[4, 4]]),
    c("trace_method", "x.trace()", [[4, 4]]),
    # relatives
    c("tensordot", "torch.tensordot(x, y, dims=([2], [0]))", [[2, 3, 4], [4, 5]]),
    c("kron", "torch.kron(x, y)", [[2, 2], [2, 3]]),
    c("cross_product", "torch.linalg.cross(x, y, dim=-1)", [[2, 4, 3], [2, 4, 3]]),
    c("cosine_similarity", "F.cosine_similarity(x, y, dim=-1)", [[2, 3, 4], [2, 3, 4]]),
    c("pairwise_cdist", "torch.cdist(x, y)", [[2, 3, 4], [2, 5, 4]]),
    c("bilinear_module", "self.m(x, y)", [[2, 4], [2, 3]], init="self.m = nn.Bilinear(4, 3, 5)"),
    c("bilinear_functional_3d", "F.bilinear(x, y, self.w, self.b)", [[2, 3, 4], [2, 3, 3]], init="self.w = nn.Parameter(torch.randn(5, 4, 3)); self.b = nn.Parameter(torch.randn(5))"),
    c("bilinear_module_no_bias", "self.m(x, y)", [[2, 4], [2, 3]], init="self.m = nn.Bilinear(4, 3, 5, bias=False)"),
    c("kron_3d", "torch.kron(x, y)", [[2, 1, 3], [1, 2, 2]]),
    c("cross_dim1", "torch.cross(x, y, dim=1)", [[2, 3, 4], [2, 3, 4]]),
    c("cosine_similarity_channels", "F.cosine_similarity(x, y)", [[2, 4, 3, 3], [2, 4, 3, 3]]),
    c("cdist_p1", "torch.cdist(x, y, p=1.0)", [[2, 3, 4], [2, 5, 4]]),
    c("cdist_large_mm", "torch.cdist(x, y)", [[1, 30, 4], [1, 27, 4]]),
]
