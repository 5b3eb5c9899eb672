"""Layers (issue 14): GroupNorm, InstanceNorm, LayerNorm over trailing axes and F.layer_norm on any layout,
3-D convolution and pooling, grouped ConvTranspose2d, 1-D pooling, adaptive pooling to any size,
PReLU shared and per-channel, LSTM/GRU with batch_first=False, Transformer layers, and F.interpolate
with sizes taken from another tensor."""
from _cases import c, layer

PREFIX = "layer"
X4 = [[2, 4, 6, 6]]
SEQ = [[2, 3, 8]]
VOL = [[1, 2, 4, 6, 6]]
# running statistics and affine parameters of four channels, for the functional normalizations
BN_STATS = ("self.register_buffer('rm', torch.rand(4) - 0.5); self.register_buffer('rv', torch.rand(4) + 0.5); "
            "self.w = nn.Parameter(torch.rand(4) + 0.5); self.b = nn.Parameter(torch.randn(4) * 0.3)")
# a BatchNorm2d subclass defined outside torch.nn whose forward calls F.batch_norm (timm's BatchNormAct2d)
BN_ACT = ("type('BatchNormAct', (nn.BatchNorm2d,), {'forward': lambda s, x: F.relu(F.batch_norm("
          "x, s.running_mean, s.running_var, s.weight, s.bias, False, 0.1, s.eps))})")
TEL = "nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0"

CASES = [
    # GroupNorm / InstanceNorm
    layer("groupnorm_2groups", "nn.GroupNorm(2, 4)", X4),
    layer("groupnorm_1group", "nn.GroupNorm(1, 4)", X4),
    layer("groupnorm_per_channel", "nn.GroupNorm(4, 4)", X4),
    layer("groupnorm_no_affine", "nn.GroupNorm(2, 4, affine=False)", X4),
    layer("groupnorm_1d_input", "nn.GroupNorm(2, 4)", [[2, 4, 6]]),
    layer("groupnorm_3d_input", "nn.GroupNorm(2, 4, eps=1e-3)", [[1, 4, 3, 4, 4]]),
    c("group_norm_functional", "F.group_norm(x, 2)", X4),
    layer("instancenorm2d", "nn.InstanceNorm2d(4)", X4),
    layer("instancenorm2d_affine", "nn.InstanceNorm2d(4, affine=True)", X4),
    layer("instancenorm2d_running_stats", "nn.InstanceNorm2d(4, affine=True, track_running_stats=True)", X4),
    layer("instancenorm1d", "nn.InstanceNorm1d(3)", SEQ),
    layer("instancenorm1d_affine", "nn.InstanceNorm1d(3, affine=True)", SEQ),
    c("instance_norm_functional", "F.instance_norm(x)", X4),
    # LayerNorm over trailing axes, F.layer_norm on any layout
    layer("layernorm_last", "nn.LayerNorm(8)", SEQ),
    layer("layernorm_last_two", "nn.LayerNorm([3, 8])", SEQ),
    layer("layernorm_chw", "nn.LayerNorm([4, 6, 6])", X4),
    layer("layernorm_no_affine", "nn.LayerNorm(8, elementwise_affine=False)", SEQ),
    layer("layernorm_rank4_last", "nn.LayerNorm(6, eps=1e-6)", X4),
    c("layer_norm_functional", "F.layer_norm(x, (8,))", SEQ),
    c("layer_norm_functional_affine", "F.layer_norm(x, (8,), self.w, self.b, 1e-6)", SEQ,
      init="self.w = nn.Parameter(torch.rand(8) + 0.5); self.b = nn.Parameter(torch.randn(8) * 0.3)"),
    c("layer_norm_channels_first", "F.layer_norm(x.permute(0, 2, 3, 1), (4,), self.w, self.b, 1e-6).permute(0, 3, 1, 2)", X4,
      init="self.w = nn.Parameter(torch.rand(4) + 0.5); self.b = nn.Parameter(torch.randn(4) * 0.3)"),
    layer("layernorm_module_permuted", "nn.LayerNorm(4)", X4, forward="self.m(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"),
    c("layer_norm_two_axes_functional", "F.layer_norm(x, x.shape[-2:])", X4),
    c("rms_norm_by_hand", "x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.w", SEQ, init="self.w = nn.Parameter(torch.rand(8) + 0.5)"),
    # BatchNorm variants
    layer("batchnorm1d_sequence", "nn.BatchNorm1d(3)", SEQ),
    layer("batchnorm1d_features", "nn.BatchNorm1d(8)", [[2, 8]]),
    layer("batchnorm3d", "nn.BatchNorm3d(2)", VOL),
    # Conv3d / ConvTranspose3d / 3-D pooling
    layer("conv3d_k3_p1", "nn.Conv3d(2, 4, 3, padding=1)", VOL),
    layer("conv3d_stride2", "nn.Conv3d(2, 3, 2, stride=2)", VOL),
    layer("conv3d_grouped", "nn.Conv3d(2, 4, (1, 3, 3), padding=(0, 1, 1), groups=2)", VOL),
    layer("conv_transpose3d", "nn.ConvTranspose3d(2, 3, 2, stride=2)", [[1, 2, 2, 3, 3]]),
    layer("conv_transpose3d_k3", "nn.ConvTranspose3d(2, 2, 3, stride=1, padding=1)", [[1, 2, 2, 3, 3]]),
    layer("maxpool3d", "nn.MaxPool3d(2)", VOL),
    layer("avgpool3d", "nn.AvgPool3d((1, 2, 2))", VOL),
    layer("adaptive_avgpool3d", "nn.AdaptiveAvgPool3d(1)", VOL),
    layer("adaptive_maxpool3d", "nn.AdaptiveMaxPool3d((2, 3, 3))", VOL),
    # grouped and strided ConvTranspose2d, other convolutions
    layer("conv_transpose2d_grouped", "nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)", X4),
    layer("conv_transpose2d_output_padding", "nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)", X4),
    layer("conv_transpose2d_depthwise", "nn.ConvTranspose2d(4, 4, 2, stride=2, groups=4)", X4),
    layer("conv_transpose2d_dilated", "nn.ConvTranspose2d(4, 2, 3, dilation=2)", X4),
    layer("conv_transpose1d", "nn.ConvTranspose1d(3, 4, 3, stride=2)", SEQ),
    layer("conv1d_dilated", "nn.Conv1d(3, 4, 3, dilation=2, padding=2)", SEQ),
    layer("conv1d_grouped_stride", "nn.Conv1d(3, 6, 3, stride=2, groups=3)", SEQ),
    layer("conv2d_padding_same", "nn.Conv2d(4, 4, 3, padding='same', dilation=2)", X4),
    layer("conv2d_reflect_padding", "nn.Conv2d(4, 2, 3, padding=1, padding_mode='reflect')", X4),
    layer("conv2d_asymmetric_kernel", "nn.Conv2d(4, 2, (1, 3), stride=(2, 1), padding=(0, 1))", X4),
    c("conv2d_functional", "F.conv2d(x, self.w, stride=2, padding=1)", X4, init="self.w = nn.Parameter(torch.randn(3, 4, 3, 3) * 0.2)"),
    # 1-D pooling
    layer("avgpool1d", "nn.AvgPool1d(2)", SEQ),
    layer("avgpool1d_stride_pad", "nn.AvgPool1d(3, stride=2, padding=1)", SEQ),
    layer("avgpool1d_no_pad_count", "nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False)", SEQ),
    layer("maxpool1d", "nn.MaxPool1d(2)", SEQ),
    layer("maxpool1d_stride_pad", "nn.MaxPool1d(3, stride=2, padding=1)", SEQ),
    layer("adaptive_avgpool1d_1", "nn.AdaptiveAvgPool1d(1)", SEQ),
    layer("adaptive_avgpool1d_nondividing", "nn.AdaptiveAvgPool1d(3)", SEQ),
    layer("adaptive_maxpool1d", "nn.AdaptiveMaxPool1d(4)", SEQ),
    c("avg_pool1d_functional", "F.avg_pool1d(x, 4)", SEQ),
    c("max_pool1d_functional_ceil", "F.max_pool1d(x, 3, 2, ceil_mode=True)", SEQ),
    # 2-D pooling variants and adaptive pooling to any size
    layer("adaptive_avgpool2d_1", "nn.AdaptiveAvgPool2d(1)", X4),
    layer("adaptive_avgpool2d_nondividing", "nn.AdaptiveAvgPool2d(4)", X4),
    layer("adaptive_avgpool2d_larger", "nn.AdaptiveAvgPool2d((6, 6))", [[2, 4, 1, 1]]),
    layer("adaptive_avgpool2d_upscale_nondividing", "nn.AdaptiveAvgPool2d((5, 7))", [[2, 4, 3, 3]]),
    layer("adaptive_avgpool2d_rect", "nn.AdaptiveAvgPool2d((2, 3))", X4),
    layer("adaptive_avgpool2d_none", "nn.AdaptiveAvgPool2d((None, 2))", X4),
    layer("adaptive_maxpool2d_nondividing", "nn.AdaptiveMaxPool2d(4)", X4),
    layer("adaptive_maxpool2d_1", "nn.AdaptiveMaxPool2d((1, 1))", X4),
    c("adaptive_avg_pool2d_functional", "F.adaptive_avg_pool2d(x, (3, 2))", X4),
    layer("maxpool2d_ceil_mode", "nn.MaxPool2d(3, stride=2, ceil_mode=True)", [[2, 4, 7, 7]]),
    layer("maxpool2d_dilation", "nn.MaxPool2d(2, dilation=2)", X4),
    layer("avgpool2d_ceil_no_pad_count", "nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)", [[2, 4, 7, 7]]),
    layer("lppool2d", "nn.LPPool2d(2, 2)", X4),
    # PReLU shared and per-channel, on several ranks
    layer("prelu_shared", "nn.PReLU()", X4),
    layer("prelu_per_channel", "nn.PReLU(4, init=0.1)", X4),
    layer("prelu_shared_rank3", "nn.PReLU(init=0.3)", SEQ),
    layer("prelu_per_channel_rank3", "nn.PReLU(3)", SEQ),
    layer("prelu_features", "nn.PReLU(8)", [[2, 8]]),
    layer("prelu_shared_two_widths", "nn.PReLU(init=0.2)", [[2, 4, 6, 6], [2, 2, 6, 6]], forward="torch.cat([self.m(x), self.m(y)], dim=1)"),
    c("prelu_functional", "F.prelu(x, self.a)", X4, init="self.a = nn.Parameter(torch.tensor([0.1, 0.2, 0.3, 0.4]))"),
    layer("rrelu_eval", "nn.RReLU()", X4),
    # LSTM / GRU with batch_first=False
    layer("lstm_seq_first", "nn.LSTM(8, 6)", [[5, 2, 8]], forward="self.m(x)[0]"),
    layer("lstm_seq_first_bidirectional", "nn.LSTM(8, 4, bidirectional=True)", [[5, 2, 8]], forward="self.m(x)[0]"),
    layer("lstm_seq_first_two_layers_hn", "nn.LSTM(8, 4, num_layers=2)", [[5, 2, 8]], forward="self.m(x)[1][0]"),
    layer("gru_seq_first", "nn.GRU(8, 6)", [[5, 2, 8]], forward="self.m(x)[0]"),
    layer("gru_seq_first_bidirectional_hn", "nn.GRU(8, 4, bidirectional=True)", [[5, 2, 8]], forward="self.m(x)[1]"),
    layer("lstm_seq_first_after_transpose", "nn.LSTM(8, 6)", [[2, 5, 8]], forward="self.m(x.transpose(0, 1))[0].transpose(0, 1)"),
    layer("rnn_tanh_batch_first", "nn.RNN(8, 6, batch_first=True)", [[2, 5, 8]], forward="self.m(x)[0]"),
    layer("lstm_cell", "nn.LSTMCell(8, 6)", [[2, 8]], forward="self.m(x)[0]"),
    layer("gru_cell", "nn.GRUCell(8, 6)", [[2, 8]]),
    # Transformer layers (composite torch.nn modules)
    layer("transformer_encoder_layer", TEL + ", batch_first=True)", [[2, 5, 8]]),
    layer("transformer_encoder_layer_seq_first", TEL + ")", [[5, 2, 8]]),
    layer("transformer_encoder_layer_norm_first_gelu", TEL + ", batch_first=True, norm_first=True, activation='gelu')", [[2, 5, 8]]),
    layer("transformer_encoder_two_layers", "nn.TransformerEncoder(" + TEL + ", batch_first=True), 2)", [[2, 5, 8]]),
    layer("transformer_encoder_final_norm", "nn.TransformerEncoder(" + TEL + ", batch_first=True), 1, norm=nn.LayerNorm(8))", [[2, 5, 8]]),
    layer("transformer_decoder_layer", "nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)",
          [[2, 4, 8], [2, 5, 8]], forward="self.m(x, y)"),
    layer("multihead_attention_self", "nn.MultiheadAttention(8, 2, batch_first=True)", [[2, 5, 8]], forward="self.m(x, x, x, need_weights=False)[0]"),
    # F.interpolate with sizes taken from another tensor, and the other resizes
    c("interpolate_size_from_tensor", "F.interpolate(x, size=y.shape[-2:])", [[2, 3, 4, 4], [2, 1, 8, 8]]),
    c("interpolate_size_from_tensor_bilinear", "F.interpolate(x, size=y.shape[-2:], mode='bilinear', align_corners=False)", [[2, 3, 4, 4], [2, 1, 8, 8]]),
    c("interpolate_size_from_tensor_align", "F.interpolate(x, size=y.shape[2:], mode='bilinear', align_corners=True)", [[2, 3, 4, 4], [2, 1, 7, 7]]),
    c("interpolate_size_from_own_shape", "F.interpolate(x[:, :, ::2, ::2], size=x.shape[-2:], mode='bilinear', align_corners=False)", X4),
    c("interpolate_size_tuple_nonint", "F.interpolate(x, size=(5, 7), mode='nearest')", X4),
    c("interpolate_scale2_nearest", "F.interpolate(x, scale_factor=2)", X4),
    c("interpolate_scale2_bilinear", "F.interpolate(x, scale_factor=2.0, mode='bilinear', align_corners=False)", X4),
    c("interpolate_downscale_bilinear", "F.interpolate(x, scale_factor=0.5, mode='bilinear', align_corners=False)", X4),
    c("interpolate_1d_linear", "F.interpolate(x, size=12, mode='linear', align_corners=False)", SEQ),
    c("interpolate_1d_nearest_scale", "F.interpolate(x, scale_factor=2, mode='nearest')", SEQ),
    c("interpolate_bicubic", "F.interpolate(x, scale_factor=2, mode='bicubic', align_corners=False)", X4),
    layer("upsample_module_bilinear", "nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)", X4),
    layer("upsample_nearest_module", "nn.UpsamplingNearest2d(size=(9, 9))", X4),
    # other everyday layers
    layer("linear_rank4", "nn.Linear(6, 3)", X4),
    layer("linear_no_bias_rank2", "nn.Linear(8, 4, bias=False)", [[2, 8]]),
    layer("embedding_ids", "nn.Embedding(10, 4)", [[2, 5]], forward="self.m(x.long())", dist={"kind": "uniform", "low": 0, "high": 10}),
    layer("softmax2d", "nn.Softmax2d()", X4),
    layer("channel_shuffle_like_flatten", "nn.Flatten(1, 2)", X4),
    layer("unflatten_module", "nn.Unflatten(1, (2, 2))", X4),
    layer("dropout2d_eval", "nn.Dropout2d(0.3)", X4),
    # functional forms with weights given as tensors, whatever module calls them (issue 20: timm's
    # BatchNormAct2d subclasses nn.BatchNorm2d and calls F.batch_norm; StdConv2d convolves a
    # standardized weight)
    c("batch_norm_functional", "F.batch_norm(x, self.rm, self.rv, self.w, self.b, False, 0.1, 1e-3)", X4, init=BN_STATS),
    c("batch_norm_functional_no_affine", "F.batch_norm(x, self.rm[:3], self.rv[:3])", SEQ, init=BN_STATS),
    c("batch_norm_functional_features", "F.batch_norm(x, self.rm.repeat(2), self.rv.repeat(2), self.w.repeat(2), None)", [[2, 8]], init=BN_STATS),
    layer("batch_norm_subclass_act", BN_ACT + "(4)", X4, forward="self.m(self.m(x))"),
    c("instance_norm_running_stats_functional", "F.instance_norm(x, self.rm, self.rv, self.w, self.b, use_input_stats=False)", X4, init=BN_STATS),
    c("group_norm_functional_affine", "F.group_norm(x, 2, self.w, self.b, 1e-6)", X4, init=BN_STATS),
    c("conv2d_functional_bias_depthwise", "F.conv2d(x, self.w, self.b, padding=1, groups=4)", X4,
      init="self.w = nn.Parameter(torch.randn(4, 1, 3, 3) * 0.3); self.b = nn.Parameter(torch.randn(4) * 0.1)"),
    c("conv2d_functional_grouped_same", "F.conv2d(x, self.w, None, 1, 'same', 1, 2)", X4, init="self.w = nn.Parameter(torch.randn(6, 2, 3, 3) * 0.3)"),
    c("conv2d_functional_standardized_weight", "F.conv2d(x, (self.w - self.w.mean((1, 2, 3), keepdim=True)) / (self.w.std((1, 2, 3), keepdim=True) + 1e-5), self.b, 2)", X4,
      init="self.w = nn.Parameter(torch.randn(3, 4, 3, 3)); self.b = nn.Parameter(torch.randn(3) * 0.1)"),
    c("conv2d_functional_twice", "F.conv2d(F.conv2d(x, self.w, padding=1), self.w, padding=1)", X4, init="self.w = nn.Parameter(torch.randn(4, 4, 3, 3) * 0.2)"),
    c("conv_transpose2d_functional", "F.conv_transpose2d(x, self.w, self.b, stride=2, padding=1, output_padding=1)", X4,
      init="self.w = nn.Parameter(torch.randn(4, 3, 3, 3) * 0.3); self.b = nn.Parameter(torch.randn(3) * 0.1)"),
    c("conv1d_functional", "F.conv1d(x, self.w, self.b, stride=2, padding=1)", SEQ,
      init="self.w = nn.Parameter(torch.randn(5, 3, 3) * 0.3); self.b = nn.Parameter(torch.randn(5) * 0.1)"),
]
